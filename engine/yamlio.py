"""Safe, bounded YAML reading for every sramfit file (scenarios, chips, models).

The model: a YAML document is turned into plain Python values (dict, list, str, int,
float, bool, None) by one pass over the parser's event stream (libyaml's C parser
when PyYAML was built with it, else PyYAML's pure-Python parser; neither recurses).
The pass itself never recurses either, and it enforces the limits below, so no file
can make a load take unbounded time or memory, or escape as a Python exception:

- nesting deeper than :data:`MAX_DEPTH` levels is refused;
- an alias (``*name``) is never copied: it shares the anchored value, and the number
  of values it stands for is charged to a budget (:data:`MAX_ALIAS_NODES`), so a
  "billion laughs" file is refused after a few thousand events; an alias to a
  collection that is still open (a recursive anchor) is refused;
- duplicate mapping keys are refused, naming both lines; keys must be scalars;
- integers longer than :data:`MAX_INT_DIGITS` digits are refused;
- tags other than YAML's core scalar/collection tags are refused;
- no error message quotes the text of the file (only line and column), so a file
  that is not a sramfit file never leaks its contents into an error.

Line numbers are recorded during the same pass (one int per key or list item, no
second parse) and only looked up when a later check reports an error: see
:class:`Lines`.
"""
from __future__ import annotations

import gc
import re
from typing import Any

import yaml

from .errors import SramfitError

#: deepest nesting of lists/mappings accepted (sramfit files need 4)
MAX_DEPTH = 64
#: values that aliases may stand for, in total, per document
MAX_ALIAS_NODES = 100_000
#: values (scalars + collections) per document (a 50,000-layer model has ~500,000)
MAX_NODES = 750_000
#: lists + mappings per document (each costs ~0.5 kB while reading)
MAX_COLLECTIONS = 200_000
#: longest integer literal accepted (int64 has 19 digits)
MAX_INT_DIGITS = 40

_Loader = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader
#: True when libyaml's C parser is used
FAST = _Loader is not yaml.SafeLoader

_RESOLVERS = yaml.SafeLoader.yaml_implicit_resolvers
_CONSTRUCT = yaml.SafeLoader(  # a constructor instance for the scalar converters
    "")
_T = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_T + "str", _T + "int", _T + "float", _T + "bool", _T + "null"}
_DIGITS = re.compile(r"[0-9a-fA-F]")


class Lines:
    """Line numbers (1-based) of a parsed document, looked up by key path.

    ``lines[("layers", 3, "out")]`` is the line of that key; ``lines[()]`` is the line
    where the document starts. Supports ``in``, ``[]`` and ``get`` like the plain dict
    {path tuple: line} the engine used before."""

    def __init__(self, root: Any, meta: dict, start: int = 1):
        self._root, self._meta, self._start = root, meta, start

    def _find(self, key: tuple):
        obj, line = self._root, self._start
        for k in key:
            m = self._meta.get(id(obj))
            if m is None or m[0] is not obj:
                return None
            table = m[1]
            try:
                line = table[k]
                obj = obj[k]
            except (KeyError, IndexError, TypeError):
                return None
        return line

    def __contains__(self, key) -> bool:
        return self._find(tuple(key)) is not None

    def __getitem__(self, key) -> int:
        line = self._find(tuple(key))
        if line is None:
            raise KeyError(key)
        return line

    def get(self, key, default=None):
        line = self._find(tuple(key))
        return default if line is None else line

    def __bool__(self) -> bool:
        return True


def _fail(path: str, line: int | None, msg: str, col: int | None = None):
    where = path if line is None else f"{path}:{line}"
    at = f" (column {col})" if col is not None else ""
    raise SramfitError(f"{where}: {msg}{at}")


def _problem(err: yaml.YAMLError) -> str:
    """The YAML error's problem without any quoted text of the file."""
    problem = getattr(err, "problem", None) or type(err).__name__
    problem = re.sub(r"'([^']*)'|\"([^\"]*)\"", _keep_punct, str(problem))
    return re.sub(r"\s+", " ", problem).strip()


def _keep_punct(m) -> str:
    """A quoted part of a YAML error: kept when it is YAML punctuation (',', ']',
    '\\t'), dropped otherwise (it would quote the file)."""
    inner = m.group(1) if m.group(1) is not None else m.group(2)
    return m.group(0) if re.fullmatch(r"[^\w\s]{1,3}|\\[a-z]|<[a-z ]+>", inner) else ""


def _scalar(ev, path: str, cache: dict):
    value, tag = ev.value, ev.tag
    if tag is None and ev.implicit[0]:
        hit = cache.get(value, cache)
        if hit is not cache:
            return hit
        first = value[:1]
        if first and first not in _RESOLVERS:      # plain text: no implicit type
            out = value
        elif value.isdigit() and value.isascii() and len(value) <= MAX_INT_DIGITS \
                and (first != "0" or len(value) == 1):
            out = int(value)                         # a decimal integer
        else:
            out = _scalar_slow(ev, path)
        if len(cache) < 10_000:
            cache[value] = out
        return out
    return _scalar_slow(ev, path)


def _scalar_slow(ev, path: str):
    value, tag = ev.value, ev.tag
    if tag is None or tag == "!":
        if ev.implicit[0]:                     # plain scalar: resolve like SafeLoader
            tag = _T + "str"
            for t, regexp in _RESOLVERS.get(value[:1] if value else "", ()):
                if regexp.match(value):
                    tag = t
                    break
            else:
                if not value:
                    tag = _T + "null"
        else:
            return value
    if tag == _T + "merge":
        return "<<"
    if tag in (_T + "str", _T + "timestamp", _T + "value"):
        return value            # dates stay text: no sramfit field is a date
    if tag not in _SCALAR_TAGS:
        _fail(path, ev.start_mark.line + 1, "unsupported YAML tag; sramfit files use "
              "plain values (numbers, text, true/false, null)", ev.start_mark.column + 1)
    if tag == _T + "int" and len(_DIGITS.findall(value)) > MAX_INT_DIGITS:
        _fail(path, ev.start_mark.line + 1, f"number with more than {MAX_INT_DIGITS} "
              f"digits; sramfit numbers fit in 64 bits", ev.start_mark.column + 1)
    node = yaml.ScalarNode(tag, value, ev.start_mark, ev.end_mark)
    try:
        return _CONSTRUCT.yaml_constructors[tag](_CONSTRUCT, node)
    except (ValueError, TypeError, OverflowError, yaml.YAMLError):
        _fail(path, ev.start_mark.line + 1, f"not a valid {tag[len(_T):]} value",
              ev.start_mark.column + 1)


def parse(text: str, path: str = "<text>") -> tuple[Any, Lines]:
    """(data, lines) of a YAML document; SramfitError naming path:line on any problem
    (syntax, limits, duplicate keys, tags). Empty text gives (None, lines)."""
    if not isinstance(text, str):
        raise SramfitError(f"{path}: expected YAML text")
    loader = _Loader(text)
    meta: dict[int, tuple] = {}
    sizes: dict[int, int] = {}          # id(anchored collection) -> values inside
    anchors: dict[str, Any] = {}
    open_ids: set[int] = set()
    # open collections: [container, lines table, (key,) awaiting its value or None,
    #                    anchor, values counted before it, line, is a list]
    stack: list[list] = []
    count = 0
    collections = 0
    alias_charge = 0
    root: Any = None
    docs = 0
    seq_t, map_t = yaml.SequenceStartEvent, yaml.MappingStartEvent
    seq_e, map_e = yaml.SequenceEndEvent, yaml.MappingEndEvent
    scal_t, alias_t = yaml.ScalarEvent, yaml.AliasEvent
    doc_t = yaml.DocumentStartEvent
    cache: dict = {}
    end_t = yaml.StreamEndEvent
    frame: list | None = None           # stack[-1]
    gc_was_on = gc.isenabled()
    gc.disable()                        # no cycles are made; the collector only costs
    try:
        get = loader.get_event
        while True:
            ev = get()
            cls = ev.__class__
            if cls is scal_t:
                count += 1
                if count > MAX_NODES:
                    _fail(path, ev.start_mark.line + 1, f"more than {MAX_NODES} values "
                          f"(limit MAX_NODES)")
                anchor = ev.anchor
                if ev.tag is None:
                    if ev.implicit[0]:
                        value = cache.get(ev.value, cache)
                        if value is cache:
                            value = _scalar(ev, path, cache)
                    else:
                        value = ev.value               # quoted: a string
                else:
                    value = _scalar(ev, path, cache)
                if frame is not None and anchor is None:
                    # the common cases inline: a list item, a mapping value
                    if frame[6]:
                        frame[0].append(value)
                        frame[1].append(ev.start_mark.line + 1)
                        continue
                    key = frame[2]
                    if key is not None:
                        if key[0] != "<<":
                            frame[0][key[0]] = value
                            frame[2] = None
                            continue
                    elif value.__class__ is str and value not in frame[1] \
                            and value != "<<":
                        frame[1][value] = ev.start_mark.line + 1     # a new key
                        frame[2] = (value,)
                        continue
            elif cls is seq_t or cls is map_t:
                if ev.tag not in (None, "!", _T + "seq", _T + "map"):
                    _fail(path, ev.start_mark.line + 1, "unsupported YAML tag on a "
                          "collection", ev.start_mark.column + 1)
                if len(stack) >= MAX_DEPTH:
                    _fail(path, ev.start_mark.line + 1, f"nesting deeper than {MAX_DEPTH} "
                          f"levels (limit MAX_DEPTH)")
                collections += 1
                if collections > MAX_COLLECTIONS:
                    _fail(path, ev.start_mark.line + 1, f"more than {MAX_COLLECTIONS} "
                          f"lists and mappings (limit MAX_COLLECTIONS)")
                is_seq = cls is seq_t
                container = [] if is_seq else {}
                table: Any = [] if is_seq else {}
                meta[id(container)] = (container, table)
                open_ids.add(id(container))
                frame = [container, table, None, ev.anchor, count,
                         ev.start_mark.line + 1, is_seq]
                stack.append(frame)
                if ev.anchor is not None:
                    anchors[ev.anchor] = container
                count += 1
                # the collection is attached to its parent when it ends
                continue
            elif cls is seq_e or cls is map_e:
                done = stack.pop()
                frame = stack[-1] if stack else None
                value = done[0]
                open_ids.discard(id(value))
                if done[2] is not None:
                    _fail(path, ev.start_mark.line + 1, "mapping key without a value")
                if done[3] is not None:
                    sizes[id(value)] = count - done[4]
                if frame is not None:
                    _attach(frame, value, done[5], path)
                else:
                    root = value
                continue
            elif cls is alias_t:
                anchor = None
                name = ev.anchor
                if name not in anchors:
                    _fail(path, ev.start_mark.line + 1, "alias to an undefined anchor")
                value = anchors[name]
                if id(value) in open_ids:
                    _fail(path, ev.start_mark.line + 1, "recursive alias (an anchor used "
                          "inside itself) is not allowed")
                charge = sizes.get(id(value), 1)
                alias_charge += charge
                if alias_charge > MAX_ALIAS_NODES:
                    _fail(path, ev.start_mark.line + 1, f"aliases stand for more than "
                          f"{MAX_ALIAS_NODES} values (limit MAX_ALIAS_NODES); write the "
                          f"values out or use fewer aliases")
                count += charge
            elif cls is end_t:
                break
            elif cls is doc_t:
                docs += 1
                if docs > 1:
                    _fail(path, ev.start_mark.line + 1, "more than one YAML document "
                          "(---); a sramfit file holds one")
                continue
            else:
                continue
            if count > MAX_NODES:
                _fail(path, ev.start_mark.line + 1, f"more than {MAX_NODES} values "
                      f"(limit MAX_NODES)")
            if anchor is not None:
                anchors[anchor] = value
            if frame is not None:
                _attach(frame, value, ev.start_mark.line + 1, path)
            else:
                root = value
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else path
        at = f" (column {mark.column + 1})" if mark is not None else ""
        raise SramfitError(f"{where}: not valid YAML{at}: {_problem(err)}; check "
                           f"indentation, colons, quotes and brackets") from None
    except (RecursionError, MemoryError, ValueError, TypeError, UnicodeError) as err:
        if isinstance(err, SramfitError):
            raise
        raise SramfitError(f"{path}: not readable as YAML ({type(err).__name__})") from None
    finally:
        if gc_was_on:
            gc.enable()
        try:
            loader.dispose()
        except Exception:  # noqa: BLE001 - nothing to clean up if disposing fails
            pass
    start = 1
    return root, Lines(root, meta, start)


def _attach(frame, value, line, path):
    """Put ``value`` (from ``line``) into the open collection ``frame``."""
    container, table = frame[0], frame[1]
    if container.__class__ is list:
        container.append(value)
        table.append(line)
        return
    key = frame[2]
    if key is None:                           # value is a key
        if isinstance(value, (list, dict)):
            _fail(path, line, "a mapping key must be a plain value (a name), not a list "
                              "or mapping")
        if isinstance(value, float) and value != value:
            _fail(path, line, "a mapping key cannot be .nan")
        if value in table:
            _fail(path, line, f"duplicate key (also on line {table[value]}); each key "
                              f"may appear once in a mapping")
        table[value] = line
        frame[2] = (value,)
        return
    k = key[0]
    if k == "<<" and isinstance(value, (dict, list)):
        # YAML merge key: copy in the keys of the merged mapping(s) not given here
        sources = value if isinstance(value, list) else [value]
        for src in sources:
            if not isinstance(src, dict):
                _fail(path, line, "a merge key (<<) needs a mapping or a list of mappings")
            for mk, mv in src.items():
                if mk not in container:
                    container[mk] = mv
        del table["<<"]
    else:
        container[k] = value
    frame[2] = None


def read(path: str) -> tuple[Any, Lines]:
    """(data, lines) of a YAML file; SramfitError naming the file on any problem."""
    from .fileio import read_text
    return parse(read_text(path, expected="a YAML text file"), str(path))


__all__ = ["FAST", "Lines", "MAX_ALIAS_NODES", "MAX_COLLECTIONS", "MAX_DEPTH",
           "MAX_INT_DIGITS", "MAX_NODES",
           "parse", "read"]
