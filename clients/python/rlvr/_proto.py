"""Imports the generated protobuf and gRPC stubs, with a clear message when they are missing."""

__all__ = ["common_pb2", "verifier_pb2", "verifier_pb2_grpc"]

try:
    from rlvr.v1 import common_pb2, verifier_pb2, verifier_pb2_grpc  # noqa: F401
except ImportError as error:  # pragma: no cover - exercised only without generated stubs
    raise ImportError(
        "rlvr: the generated gRPC stubs (rlvr/v1/*_pb2.py) are missing or broken: run "
        "clients/python/generate.sh (needs protoc + grpc_python_plugin, or python3-grpc-tools) and use "
        f"/usr/bin/python3 with python3-grpcio and python3-protobuf. Cause: {error}"
    ) from error
