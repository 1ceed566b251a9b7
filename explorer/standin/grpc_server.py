"""A stand-in TF Serving's gRPC API over the explorer's runner.

``PredictionService`` (Predict, Classify, Regress, GetModelMetadata) and
``ModelService.GetModelStatus`` at TF Serving's method paths with TF Serving's own message
classes (:func:`explorer.remote.grpc_transport.apis`), answered through the one
dispatcher, ``explorer.run.dispatch`` (Predict with the TensorProtos' own dtypes, as TF
Serving feeds them) and a :class:`~explorer.standin.rest_server.ModelRegistry`. Errors are
aborted with TF Serving's status code and message.
"""

from __future__ import annotations

from concurrent import futures
from typing import Any

from explorer.codec.grpc_messages import MESSAGES, fill_model_spec
from explorer.codec.tensor_proto import fill_tensor_proto, tensor_proto_to_array
from explorer.constants import MethodKind
from explorer.errors import ExplorerError, ServingRuleError
from explorer.remote.grpc_transport import RPCS, SERVICES, apis
from explorer.run.dispatch import CallRequest, dispatch
from explorer.run.local import LocalTarget
from explorer.standin.rest_server import ModelRegistry


class GrpcServer:
    """TF Serving's gRPC API on ``host:port`` (port 0: a free one).

    Args:
        registry: the models to serve.
        host: the interface; loopback by default.
        port: the port, or 0 for any free one (see ``.port``).
        max_workers: concurrent calls.
        tls: (private key PEM, certificate chain PEM) to answer over TLS (grpcs://).
    """

    def __init__(
        self,
        registry: ModelRegistry,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_workers: int = 8,
        tls: tuple[bytes, bytes] | None = None,
    ) -> None:
        api = apis()
        self.registry = registry
        self._server = api.grpc.server(futures.ThreadPoolExecutor(max_workers=max_workers))
        self._server.add_generic_rpc_handlers(_handlers(registry))
        self.host = host
        self._scheme = "grpc" if tls is None else "grpcs"
        if tls is None:
            self.port = self._server.add_insecure_port(f"{host}:{port}")
        else:
            credentials = api.grpc.ssl_server_credentials([tls])
            self.port = self._server.add_secure_port(f"{host}:{port}", credentials)

    @property
    def url(self) -> str:
        return f"{self._scheme}://{self.host}:{self.port}"

    def start(self) -> GrpcServer:
        self._server.start()
        return self

    def stop(self, grace: float | None = None) -> None:
        self._server.stop(grace).wait()

    def __enter__(self) -> GrpcServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _servicers(registry: ModelRegistry) -> tuple[Any, Any]:
    api = apis()
    grpc = api.grpc

    def abort(context: Any, code: str, message: str) -> None:
        context.abort(getattr(grpc.StatusCode, code, grpc.StatusCode.INTERNAL), message)

    def refuse(context: Any, exc: ExplorerError) -> None:
        abort(context, exc.code if isinstance(exc, ServingRuleError) else "INTERNAL", str(exc))

    def run(context: Any, model: Any, request: CallRequest) -> Any:
        outcome = dispatch(LocalTarget(model, allow_unsafe=registry.allow_unsafe), request)
        if outcome.result is None:  # the server's fault (INTERNAL) unless TF Serving's answer
            abort(context, outcome.code or "INTERNAL", outcome.error or "")
        return outcome.result

    def resolve(request: Any) -> Any:
        if not request.HasField("model_spec"):
            raise ServingRuleError("Missing ModelSpec")
        spec = request.model_spec
        if not spec.name:
            raise ServingRuleError("ModelSpec has no name specified.")
        choice = spec.WhichOneof("version_choice")
        version = spec.version.value if choice == "version" else None
        label = spec.version_label if choice == "version_label" else None
        return registry.resolve(spec.name, version, label)

    class PredictionService:
        def Predict(self, request: Any, context: Any) -> Any:
            try:
                model = resolve(request)
                arrays = {k: tensor_proto_to_array(v) for k, v in request.inputs.items()}
            except ExplorerError as exc:
                return refuse(context, exc)
            call = CallRequest(
                MethodKind.PREDICT,
                arrays=arrays,
                signature=request.model_spec.signature_name or None,
                output_filter=tuple(request.output_filter),
            )
            result = run(context, model, call)
            response = api.PredictResponse()
            fill_model_spec(
                response.model_spec, model.name, model.version, None, result.signature_key
            )
            for alias, array in result.outputs.items():
                fill_tensor_proto(response.outputs[alias], array)
            return response

        def Classify(self, request: Any, context: Any) -> Any:
            try:
                model, call = _examples(MethodKind.CLASSIFY, request)
            except ExplorerError as exc:
                return refuse(context, exc)
            result = run(context, model, call)
            response = api.ClassificationResponse()
            fill_model_spec(
                response.model_spec, model.name, model.version, None, result.signature_key
            )
            for classes in result.response_json["results"]:
                item = response.result.classifications.add()
                for label, score in classes:
                    item.classes.add(label=label, score=score)
            return response

        def Regress(self, request: Any, context: Any) -> Any:
            try:
                model, call = _examples(MethodKind.REGRESS, request)
            except ExplorerError as exc:
                return refuse(context, exc)
            result = run(context, model, call)
            response = api.RegressionResponse()
            fill_model_spec(
                response.model_spec, model.name, model.version, None, result.signature_key
            )
            for value in result.response_json["results"]:
                response.result.regressions.add(value=value)
            return response

        def GetModelMetadata(self, request: Any, context: Any) -> Any:
            try:
                model = resolve(request)
                fields = list(request.metadata_field)
                if not fields:
                    raise ServingRuleError(
                        "GetModelMetadataRequest must specify at least one metadata_field"
                    )
                unsupported = [f for f in fields if f != "signature_def"]
                if unsupported:
                    raise ServingRuleError(f"Metadata field {unsupported[0]} is not supported")
            except ExplorerError as exc:
                return refuse(context, exc)
            signature_defs = api.SignatureDefMap()
            for key, signature in model.meta_graph().proto.signature_def.items():
                signature_defs.signature_def[key].CopyFrom(signature)
            response = api.GetModelMetadataResponse()
            fill_model_spec(response.model_spec, model.name, model.version, None)
            response.metadata["signature_def"].Pack(signature_defs)
            return response

    class ModelService:
        def GetModelStatus(self, request: Any, context: Any) -> Any:
            try:
                if not request.HasField("model_spec"):
                    raise ServingRuleError("Missing ModelSpec")
                spec = request.model_spec
                choice = spec.WhichOneof("version_choice")
                status = registry.status_json(
                    spec.name,
                    spec.version.value if choice == "version" else None,
                    spec.version_label if choice == "version_label" else None,
                )
            except ExplorerError as exc:
                return refuse(context, exc)
            response = api.GetModelStatusResponse()
            return api.json_format.ParseDict(status, response)

    def _examples(method: MethodKind, request: Any) -> tuple[Any, CallRequest]:
        model = resolve(request)
        kind = request.input.WhichOneof("kind")
        context = None
        if kind == "example_list_with_context":
            holder = request.input.example_list_with_context
            context = holder.context.SerializeToString()
        elif kind == "example_list":
            holder = request.input.example_list
        else:
            holder = None
        examples = [e.SerializeToString() for e in holder.examples] if holder else []
        signature = request.model_spec.signature_name or None
        return model, CallRequest(method, arrays=examples, context=context, signature=signature)

    return PredictionService(), ModelService()


def _handlers(registry: ModelRegistry) -> tuple[Any, ...]:
    """One generic handler per service, routing TF Serving's method paths to the
    servicers with TF Serving's message classes on the wire."""
    api = apis()
    grpc = api.grpc
    handlers = []
    for service, servicer in zip(("prediction", "model"), _servicers(registry), strict=True):
        methods = {}
        for rpc_service, method in RPCS.values():
            if rpc_service != service:
                continue
            request_name, response_name = MESSAGES[method]
            methods[method] = grpc.unary_unary_rpc_method_handler(
                getattr(servicer, method),
                request_deserializer=getattr(api, request_name).FromString,
                response_serializer=getattr(api, response_name).SerializeToString,
            )
        handlers.append(grpc.method_handlers_generic_handler(SERVICES[service], methods))
    return tuple(handlers)
