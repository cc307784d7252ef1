"""Reading the project's YAML files strictly: one home for what every data file may hold.

Every YAML file the project reads (metadata, codebooks, stance cues, aliases, overrides,
speaker assignments, gold labels) goes through `parse`: libyaml's safe loader, with
- duplicate keys refused (YAML lets the second `events:` or `date:` silently win),
- anchors and aliases bounded: a document whose aliases expand past MAX_NODES values (a
  "billion laughs" bomb from a 1 KB file) is refused before anything is built from it,
- each mapping remembering its own line and its keys' lines (`LineDict`), for errors.
"""

from __future__ import annotations

import yaml

MAX_NODES = 100_000  # values after expanding aliases; a large codebook has a few thousand


class LineDict(dict):
    """A YAML mapping that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict


class StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml: 5-10x faster
    """Safe loading, with duplicate keys and alias bombs refused."""

    def construct_document(self, node):
        _check_size(node)
        return super().construct_document(node)

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError) as err:  # `date: 2023-02-30`
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {str(node.value)[:60]!r}: {err}",
                node.start_mark) from None


def _check_size(root: yaml.Node) -> None:
    """Refuse a document whose aliases add more than MAX_NODES values once expanded (counted
    on the node graph, so the check itself never expands anything; a long file without
    aliases adds none)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children = ([n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode)
                    else list(node.value) if isinstance(node, yaml.SequenceNode) else [])
        if not children_done:
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        size = 1 + sum(sizes.get(id(child), 1) for child in children)
        if size - len(sizes) > MAX_NODES:  # expanded values beyond the distinct nodes
            raise yaml.constructor.ConstructorError(
                None, None, f"its anchors and aliases expand past {MAX_NODES:,} more values",
                node.start_mark)
        sizes[id(node)] = size


def _construct_mapping(loader: StrictLoader, node: yaml.MappingNode) -> LineDict:
    seen: dict[object, yaml.Node] = {}
    for key, _ in node.value:
        if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
            value = loader.construct_object(key)
            if value in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {str(value)[:60]!r} (first on line "
                                f"{seen[value].start_mark.line + 1})", key.start_mark)
            seen[value] = key
    mapping = LineDict(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {k.value: k.start_mark.line + 1 for k, _ in node.value
                         if isinstance(k, yaml.ScalarNode)}
    return mapping


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse(text: str):
    """The document in `text`; raises yaml.YAMLError (with a `problem_mark`) for invalid
    YAML, a duplicate key or an alias bomb."""
    try:
        return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise yaml.constructor.ConstructorError(None, None, "nested too deeply", None) from None
