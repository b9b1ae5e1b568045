"""The propeller stand-in refuses what it does not handle instead of guessing."""

from __future__ import annotations

import msgpack
import pytest
from flyteidl.core import literals_pb2, types_pb2, workflow_pb2

from tests.containers.propeller import Execution, HarnessError, _attribute, _fill, _resolve


def binding(**kind) -> workflow_pb2.Node:
    node = workflow_pb2.Node(id="n9")
    node.inputs.add(var="x", binding=literals_pb2.BindingData(**kind))
    return node.inputs[0]


def test_a_constant_binding_is_refused():
    constant = binding(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(integer=1)))
    with pytest.raises(HarnessError, match="scalar bindings are not handled"):
        _resolve(constant, {}, Execution("e"), "n9")


def test_an_unknown_template_in_a_task_argument_is_refused():
    with pytest.raises(HarnessError, match=r"\{\{\.somethingNew\}\}"):
        _fill("{{.somethingNew}}", {"{{.input}}": "s3://b/k"}, "n0")


def test_an_attribute_path_reads_into_msgpack_and_stays_msgpack():
    literal = literals_pb2.Literal()
    literal.scalar.binary.value = msgpack.packb({"expected": [1, 0, 1], "other": "x"})
    literal.scalar.binary.tag = "msgpack"
    step = types_pb2.PromiseAttribute(string_value="expected")

    resolved = _attribute(literal, step, "here")

    assert resolved.scalar.binary.tag == "msgpack"
    assert msgpack.unpackb(resolved.scalar.binary.value) == [1, 0, 1]


def test_an_attribute_of_a_plain_value_is_refused():
    literal = literals_pb2.Literal(
        scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(integer=1))
    )
    with pytest.raises(HarnessError, match="non-msgpack"):
        _attribute(literal, types_pb2.PromiseAttribute(string_value="a"), "here")


def test_a_workflow_input_without_a_value_is_named():
    promise = binding(promise=types_pb2.OutputReference(node_id="", var="data"))
    with pytest.raises(HarnessError, match="workflow input 'data' has no default"):
        _resolve(promise, {}, Execution("e"), "n0")
