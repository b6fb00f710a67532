"""GraphQL SDL, parsed with graphql-core (the reference grammar: descriptions, directives, block
strings and comments never confuse it).

Shapes: every `input` type (with its `extend input` additions) and the arguments of every
field as one input shape `Type.field(…)`, both of which clients send; object types and interfaces
as output shapes (not judged for old data); enums, marked inbound only when an input type or an
argument uses them — a member removed from an output-only enum breaks old readers, not old data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from guardrail.analysis.shapes.model import Field, Shape, ShapeKind, ShapeReadError

if TYPE_CHECKING:
    from graphql.language import (
        DocumentNode,
        InputValueDefinitionNode,
        Node,
        TypeNode,
    )


def _line(node: Node) -> int:
    loc = node.loc
    return loc.start_token.line if loc is not None else 1


def _type_text(node: TypeNode) -> str:
    from graphql.language import print_ast

    return print_ast(node)


def _named(node: TypeNode) -> str:
    from graphql.language import ListTypeNode, NonNullTypeNode

    while isinstance(node, (ListTypeNode, NonNullTypeNode)):
        node = node.type
    return str(getattr(getattr(node, "name", None), "value", ""))


def _input_field(node: InputValueDefinitionNode) -> Field:
    from graphql.language import NonNullTypeNode

    non_null = isinstance(node.type, NonNullTypeNode)
    has_default = node.default_value is not None
    name = node.name.value
    return Field(
        name,
        _line(node.name),
        non_null and not has_default,
        not non_null,
        has_default,
        _type_text(node.type),
    )


def parse(text: str) -> DocumentNode:
    from graphql.error import GraphQLSyntaxError
    from graphql.language import parse as gql_parse

    try:
        return gql_parse(text)
    except GraphQLSyntaxError as exc:
        line = exc.locations[0].line if exc.locations else 1
        raise ShapeReadError(exc.message, line) from exc


def read(path: str, text: str) -> list[Shape]:
    from graphql.language import (
        EnumTypeDefinitionNode,
        EnumTypeExtensionNode,
        InputObjectTypeDefinitionNode,
        InputObjectTypeExtensionNode,
        InterfaceTypeDefinitionNode,
        InterfaceTypeExtensionNode,
        ObjectTypeDefinitionNode,
        ObjectTypeExtensionNode,
    )

    del path
    doc = parse(text)
    inputs: dict[str, tuple[int, dict[str, Field]]] = {}
    outputs: dict[str, tuple[int, dict[str, Field]]] = {}
    enums: dict[str, tuple[int, set[str]]] = {}
    inbound_types: set[str] = set()
    outbound_types: set[str] = set()
    arguments: list[Shape] = []
    for node in doc.definitions:
        if isinstance(node, (InputObjectTypeDefinitionNode, InputObjectTypeExtensionNode)):
            line, fields = inputs.setdefault(node.name.value, (_line(node), {}))
            for value in node.fields or ():
                fields[value.name.value] = _input_field(value)
                inbound_types.add(_named(value.type))
        elif isinstance(
            node,
            (
                ObjectTypeDefinitionNode,
                ObjectTypeExtensionNode,
                InterfaceTypeDefinitionNode,
                InterfaceTypeExtensionNode,
            ),
        ):
            line, fields = outputs.setdefault(node.name.value, (_line(node), {}))
            for out_field in node.fields or ():
                fname = out_field.name.value
                outbound_types.add(_named(out_field.type))
                fields[fname] = Field(
                    fname, _line(out_field.name), False, True, False, _type_text(out_field.type)
                )
                args = {a.name.value: _input_field(a) for a in out_field.arguments or ()}
                inbound_types.update(_named(a.type) for a in out_field.arguments or ())
                if args:
                    arguments.append(
                        Shape(
                            f"{node.name.value}.{fname}(…)",
                            ShapeKind.GRAPHQL_INPUT,
                            _line(out_field.name),
                            args,
                        )
                    )
        elif isinstance(node, (EnumTypeDefinitionNode, EnumTypeExtensionNode)):
            line, members = enums.setdefault(node.name.value, (_line(node), set()))
            members.update(v.name.value for v in node.values or ())
    out = [Shape(n, ShapeKind.GRAPHQL_INPUT, ln, f) for n, (ln, f) in inputs.items()]
    out += [Shape(n, ShapeKind.GRAPHQL_TYPE, ln, f) for n, (ln, f) in outputs.items()]
    out += arguments
    out += [
        Shape(
            n,
            ShapeKind.ENUM,
            ln,
            members=frozenset(m),
            inbound=n in inbound_types or n not in outbound_types,
        )
        for n, (ln, m) in enums.items()
    ]
    return out
