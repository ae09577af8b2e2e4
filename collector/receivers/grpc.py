"""OTLP/gRPC: ``opentelemetry.proto.collector.logs.v1.LogsService/Export`` on grpc.aio.

gzip-compressed requests are inflated by gRPC itself, which also enforces the size limit on
the inflated message (``RESOURCE_EXHAUSTED``). Retryable refusals are ``UNAVAILABLE`` with a
``google.rpc.RetryInfo`` detail, as the OTLP specification asks (and in the
``google.rpc.retryinfo-bin`` trailer, where the OpenTelemetry Python SDK looks), so that
exporters back off for the delay the collector suggests.
"""

from __future__ import annotations

import hmac
import logging

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import DecodeError
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsPartialSuccess,
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)

from loglens.collector import offload
from loglens.collector.ingest import Ingest
from loglens.collector.native import DecodedRequest
from loglens.errors import IngestError, MalformedPayloadError, RetryLaterError, UnauthorizedError
from loglens.settings import Settings

log = logging.getLogger(__name__)

_CODES = {
    "MalformedPayloadError": code_pb2.INVALID_ARGUMENT,
    "PayloadTooLargeError": code_pb2.RESOURCE_EXHAUSTED,
    "UnauthorizedError": code_pb2.UNAUTHENTICATED,
}


SERVICE = "opentelemetry.proto.collector.logs.v1.LogsService"
RETRY_INFO_TRAILER = "google.rpc.retryinfo-bin"


class LogsService:
    """The Export method. It takes the raw request bytes, so that an undecodable request is
    answered INVALID_ARGUMENT (gRPC's own deserializer would answer INTERNAL)."""

    def __init__(self, settings: Settings, ingest: Ingest) -> None:
        self._ingest = ingest
        self._token = settings.ingest_token.get_secret_value().encode() if settings.ingest_token else None

    def handler(self) -> grpc.GenericRpcHandler:
        return grpc.method_handlers_generic_handler(
            SERVICE,
            {
                "Export": grpc.unary_unary_rpc_method_handler(
                    self.export, response_serializer=ExportLogsServiceResponse.SerializeToString
                ),
            },
        )

    async def export(self, body: bytes, context: grpc.aio.ServicerContext) -> ExportLogsServiceResponse:
        try:
            self._authorize(context)
            heavy = len(body) >= offload.OFF_LOOP_BYTES
            with self._ingest.batcher.arrival() as arrival:
                request = await offload.run(heavy, _decode, self._ingest, body)
                result = await self._ingest.otlp_request(request, body_bytes=len(body), arrival=arrival)
        except IngestError as error:
            status = rpc_status.to_status(_status_of(error))
            metadata = tuple(status.trailing_metadata)
            if isinstance(error, RetryLaterError):
                # The OpenTelemetry Python SDK reads the delay from this trailer, not from the
                # status details: it then waits the delay asked for instead of its own backoff.
                metadata += ((RETRY_INFO_TRAILER, _retry_info(error).SerializeToString()),)
            await context.abort(status.code, status.details, trailing_metadata=metadata)
            raise AssertionError("unreachable: abort raises") from None
        response = ExportLogsServiceResponse()
        if result.refused:
            response.partial_success.CopyFrom(
                ExportLogsPartialSuccess(rejected_log_records=len(result.refused), error_message=result.summary())
            )
        return response

    def _authorize(self, context: grpc.aio.ServicerContext) -> None:
        if self._token is None:
            return
        metadata = dict(context.invocation_metadata() or ())
        given = str(metadata.get("authorization", "")).removeprefix("Bearer ").strip().encode()
        if not hmac.compare_digest(given, self._token):
            raise UnauthorizedError(
                "a valid ingest token is required: send 'authorization: Bearer <LOGLENS_INGEST_TOKEN>'"
            )


def _decode(ingest: Ingest, body: bytes) -> ExportLogsServiceRequest | DecodedRequest:
    try:
        return ingest.decode_protobuf(body)
    except DecodeError as error:
        raise MalformedPayloadError(f"the request is not a valid ExportLogsServiceRequest: {error}") from None


def _retry_info(error: RetryLaterError) -> error_details_pb2.RetryInfo:
    return error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=error.retry_after_s))


def _status_of(error: IngestError) -> status_pb2.Status:
    if isinstance(error, RetryLaterError):
        log.warning("gRPC Export answered UNAVAILABLE: %s", error)
        detail = any_pb2.Any()
        detail.Pack(_retry_info(error))
        return status_pb2.Status(code=code_pb2.UNAVAILABLE, message=str(error), details=[detail])
    code = _CODES.get(type(error).__name__, code_pb2.INVALID_ARGUMENT)
    return status_pb2.Status(code=code, message=str(error))


async def start_server(
    settings: Settings, ingest: Ingest, port: int, reuse_port: bool = False
) -> tuple[grpc.aio.Server, int]:
    """Start the gRPC server; return it and the port it listens on (useful when port is 0)."""
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", settings.max_body_bytes),
            # Off unless collector workers share the port: a second loglens must fail, not share.
            ("grpc.so_reuseport", int(reuse_port)),
            # LOGLENS_IDLE_TIMEOUT_S: a connection that never completes its HTTP/2 handshake, or
            # carries no call for this long, is closed (GOAWAY); clients reconnect when they need to.
            ("grpc.server_handshake_timeout_ms", int(settings.idle_timeout_s * 1000)),
            ("grpc.max_connection_idle_ms", int(settings.idle_timeout_s * 1000)),
        ],
    )
    server.add_generic_rpc_handlers((LogsService(settings, ingest).handler(),))
    bound = server.add_insecure_port(f"{_grpc_host(settings.host)}:{port}")
    if bound == 0:
        raise OSError(f"cannot listen for OTLP/gRPC on {settings.host}:{port}; is the port in use?")
    await server.start()
    return server, bound


def _grpc_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
