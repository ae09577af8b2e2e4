#!/bin/sh
# Docker's splunk logging driver → loglens's Splunk HTTP Event Collector (the HTTP port, 4318;
# the driver posts to /services/collector/event/1.0).
#
# Replace loglens.internal with the loglens host; the token is LOGLENS_INGEST_TOKEN (any value
# when it is unset). Each event is {"line", "source", "tag"}: the line is the message (with
# splunk-format json a JSON line is parsed, and loglens reads its keys as the record's), the
# tag the service when the line names none, source the stream (metadata."log.iostream").
# The same options go into /etc/docker/daemon.json as "log-driver": "splunk", "log-opts": {...}
# to make it every container's default.

docker run --rm \
  --log-driver=splunk \
  --log-opt splunk-url=http://loglens.internal:4318 \
  --log-opt splunk-token="${LOGLENS_INGEST_TOKEN:-none}" \
  --log-opt splunk-format=json \
  --log-opt splunk-sourcetype=docker \
  --log-opt splunk-gzip=true \
  --log-opt tag='{{.Name}}' \
  --name shop-api \
  alpine sh -c 'echo "{\"message\": \"hello from a container\", \"level\": \"warn\"}"'
