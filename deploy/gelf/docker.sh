# Docker's gelf log driver → loglens's GELF port (12201, LOGLENS_GELF_PORT). Replace loglens-host
# with loglens's address (as the Docker daemon reaches it: the driver runs in the daemon, not in
# the container). Each line the container writes is one message: short_message is the line,
# level 6 for stdout and 3 for stderr, and the driver adds _container_name (the service, unless
# a Compose service label is sent: see below), _container_id, _image_name, _image_id, _command,
# _created and _tag.

# One container, over UDP (the driver's default compression is gzip; zlib and none work too):
docker run --log-driver gelf \
  --log-opt gelf-address=udp://loglens-host:12201 \
  --log-opt gelf-compression-type=gzip \
  nginx:1.27

# Over TCP instead (no compression over TCP, as GELF defines it); the driver reconnects when
# loglens restarts, and gelf-tcp-max-reconnect bounds its attempts:
docker run --log-driver gelf \
  --log-opt gelf-address=tcp://loglens-host:12201 \
  nginx:1.27

# For every container of the host, in /etc/docker/daemon.json (then restart dockerd):
#   {"log-driver": "gelf",
#    "log-opts": {"gelf-address": "udp://loglens-host:12201", "labels": "com.docker.compose.service"}}
# "labels" sends the Compose service label as _com.docker.compose.service, which loglens takes as
# the service (one service for all replicas, not one per container name).
