"""Payload codecs: how each SDK turns workflow values into JSON and back.

Histories always hold plain JSON. A codec encodes a value the way the workflow's SDK puts it
on the wire, and decodes a wire value into what that SDK hands the code:

* Dapr (``dapr.ext.workflow``, its vendored durabletask): ``shared.to_json``/``from_json``, so
  a dataclass travels tagged ``__durabletask_autoobject__`` and arrives as an attribute
  object; a pydantic-annotated workflow or activity input is rebuilt as the model.
* durabletask 1.x: the worker's ``DataConverter`` (``JsonDataConverter`` or the one the module
  passed as ``TaskHubGrpcWorker(data_converter=...)``), with the SDK's own type discovery
  (annotated inputs, an activity's return annotation) and explicit ``data_type=`` /
  ``return_type=``.
* neither loaded: plain JSON (the runtime's own ``to_wire``).

The SDK is chosen by what is loaded: both cannot be imported into one process (they register
the same protobuf symbols), so the loaded one is the workflow's.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Callable

from wfcheck.runtime import history as h


class PlainCodec:
    name = "plain"

    def encode(self, value: Any) -> Any:
        return h.to_wire(value)

    def decode(self, wire: Any, expected_type: Any = None) -> Any:
        return wire

    def workflow_input(self, fn: Callable[..., Any], wire: Any) -> Any:
        return self.decode(wire)

    def activity_input(self, fn: Callable[..., Any], wire: Any) -> Any:
        return self.decode(wire)

    def activity_result_type(self, activity: Any) -> Any:
        return None

    def error_type(self, exc: BaseException) -> str:
        """The failure's type name as the SDK records it (Dapr: the class name)."""
        return type(exc).__name__


class DaprCodec(PlainCodec):
    name = "dapr"

    def __init__(self) -> None:
        from dapr.ext.workflow import _model_protocol
        from dapr.ext.workflow._durabletask.internal import shared

        self._shared = shared
        self._models = _model_protocol

    def encode(self, value: Any) -> Any:
        if value is None:
            return None
        return json.loads(self._shared.to_json(value))

    def decode(self, wire: Any, expected_type: Any = None) -> Any:
        if wire is None:
            return None
        return self._shared.from_json(json.dumps(wire))

    def _coerce(self, fn: Callable[..., Any], value: Any) -> Any:
        try:
            _, model = self._models.resolve_input(fn)
        except Exception:  # an annotation the SDK cannot resolve: it passes the value as is
            return value
        if value is None or model is None or isinstance(value, model):
            return value
        return self._models.coerce_to_model(value, model)

    def workflow_input(self, fn: Callable[..., Any], wire: Any) -> Any:
        return self._coerce(fn, self.decode(wire))

    activity_input = workflow_input


class DurableTaskCodec(PlainCodec):
    name = "durabletask"

    def __init__(self, converter: Any = None) -> None:
        from durabletask.internal import type_discovery
        from durabletask.serialization import JsonDataConverter

        self.converter = converter if converter is not None else JsonDataConverter()
        self._types = type_discovery

    def encode(self, value: Any) -> Any:
        if value is None:
            return None
        return json.loads(str(self.converter.serialize(value)))

    def decode(self, wire: Any, expected_type: Any = None) -> Any:
        if wire is None:
            return None
        return self.converter.deserialize(json.dumps(wire), expected_type)

    def workflow_input(self, fn: Callable[..., Any], wire: Any) -> Any:
        return self.decode(wire, self._types.orchestrator_input_type(fn, self.converter))

    def activity_input(self, fn: Callable[..., Any], wire: Any) -> Any:
        return self.decode(wire, self._types.activity_input_type(fn, self.converter))

    def activity_result_type(self, activity: Any) -> Any:
        if isinstance(activity, str):
            return None
        return self._types.activity_output_type(activity, self.converter)

    def error_type(self, exc: BaseException) -> str:
        """durabletask 1.x records the qualified name (``builtins.ValueError``)."""
        from durabletask.internal.helpers import get_qualified_name

        return str(get_qualified_name(type(exc)))


PLAIN = PlainCodec()


def codec_for_loaded_sdk(converter: Any = None) -> PlainCodec:
    """The codec of the SDK loaded in this process (see the module docstring)."""
    if "dapr.ext.workflow" in sys.modules:
        return DaprCodec()
    if "durabletask.serialization" in sys.modules or "durabletask.worker" in sys.modules:
        return DurableTaskCodec(converter)
    return PLAIN
