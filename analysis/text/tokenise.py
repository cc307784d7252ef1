"""Segmentation: normalised text -> tokens, domain terms whole, entities canonical.

The steps, per utterance:

1. `normalise` the text (analysis/text/normalise.py).
2. **Protect**: one longest-match pass finds every entity spelling of `data/aliases.yaml`
   and every user-dictionary term that holds Latin letters, spaces or symbols
   (`AI native`, `Claude+`); each becomes one token, in its canonical spelling.
3. **Segment** the text between protected spans with jieba's algorithm and the user
   dictionary `data/userdict.txt` — a dedicated engine instance, never jieba's global one.
   Engines: `rjieba` (Rust port of jieba, same dictionary and HMM; the default) or
   `jieba` (the reference implementation the tests compare against).
4. **Compound**: Latin pieces that jieba splits at hyphens (`end`, `-`, `to`) are joined
   back (`end-to-end`), as quanteda's `tokens_compound` joins multi-word expressions.
5. Blank tokens are dropped. Stopwords are kept; `is_stopword` marks them
   (`data/stopwords.txt`, plus any token without a letter or a Chinese character).

Segmentations are cached on disk (`TokenCache`), keyed by the text and by a fingerprint of
the engine and of every data file that changes segmentation, so a dictionary edit
invalidates the cache by itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.project.store import cache_root, read_entry, write_entry
from analysis.errors import TranscriptError
from analysis.text.lexicons import FRESHNESS_S, data_path, files_stamp
from analysis.text.normalise import ALIASES_FILE, Aliases, TermMatcher, aliases, normalise
from analysis.scale.pool import batches as _batches, map_texts

USERDICT_FILE = "userdict.txt"
STOPWORDS_FILE = "stopwords.txt"
ENGINES = ("rjieba", "jieba")
# Bump when the steps above change in a way that changes tokens for the same inputs.
PIPELINE_VERSION = "1"
BATCH = 2000
_LOG = logging.getLogger(__name__)

_JOINERS = ("-", ".")
_LATIN_RUN = re.compile(r"[A-Za-z0-9]")
_WORDLIKE = re.compile(r"[A-Za-z\u3400-\u9fff\uf900-\ufaff]")


def read_userdict(path: Path) -> list[tuple[str, int | None, str | None]]:
    """The user dictionary: one `term [freq] [tag]` per line, `#` comments; terms holding
    spaces are written with underscores for spaces or quoted with double quotes."""
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip() if not line.lstrip().startswith('"') else line.strip()
        if not line:
            continue
        if line.startswith('"'):
            closing = line.find('"', 1)
            if closing < 0:
                raise TranscriptError(path, "unclosed quote", line=number,
                                      fix='write a term with spaces as "AI native" 5000')
            term, rest = line[1:closing], line[closing + 1:].split("#", 1)[0].split()
        else:
            term, *rest = line.split()
        freq, tag = None, None
        if rest:
            if not rest[0].isdigit():
                raise TranscriptError(path, f"frequency {rest[0]!r} of {term!r} is not a number",
                                      line=number, fix="write `term [frequency] [tag]`")
            freq = int(rest[0])
            tag = rest[1] if len(rest) > 1 else None
        if len(rest) > 2:
            raise TranscriptError(path, f"too many fields after {term!r}", line=number,
                                  fix='write `term [frequency] [tag]`; quote terms with spaces')
        entries.append((normalise(term), freq, tag))
    if not entries:
        raise TranscriptError(path, "the user dictionary is empty", fix="add one term per line")
    return entries


def read_stopwords(path: Path) -> frozenset[str]:
    """Stopwords: one per line, `#` starts a comment line; a line `/pattern/` is a regular
    expression a whole token may match (kept in the set as written, see `stopword_patterns`).
    Punctuation, digits and symbols need no entry: a token without a letter or Chinese
    character is a stopword anyway."""
    words = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if len(line) > 2 and line.startswith("/") and line.endswith("/"):
            try:
                re.compile(line[1:-1])
            except re.error as err:
                raise TranscriptError(path, f"bad pattern {line!r} ({err})", line=number,
                                      fix="fix the regular expression or write a plain word")
            words.add(line)
        else:
            words.add(normalise(line).lower())
    if not words:
        raise TranscriptError(path, "the stopword list is empty", fix="add one word per line")
    return frozenset(words)


def stopword_patterns(words: frozenset[str]) -> re.Pattern | None:
    """One regex of the `/pattern/` lines of a stopword list (whole-token matches)."""
    patterns = sorted(w[1:-1] for w in words if len(w) > 2 and w[0] == "/" and w[-1] == "/")
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


class Tokenizer:
    """Normalise, protect, segment and compound texts with the project's data files."""

    def __init__(self, engine: str | None = None, *, userdict: str | Path | None = None,
                 aliases_file: str | Path | None = None,
                 stopwords: str | Path | None = None) -> None:
        self.engine = engine or default_engine()
        if self.engine not in ENGINES:
            raise ValueError(f"unknown engine {self.engine!r}: use one of {', '.join(ENGINES)}")
        self.userdict_path = Path(userdict) if userdict else data_path(USERDICT_FILE)
        self.aliases_path = Path(aliases_file) if aliases_file else data_path(ALIASES_FILE)
        self.stopwords_path = Path(stopwords) if stopwords else data_path(STOPWORDS_FILE)
        self.aliases: Aliases = aliases(str(self.aliases_path))
        self.userdict = read_userdict(self.userdict_path)
        self.stopwords = read_stopwords(self.stopwords_path)
        self._stop_pattern = stopword_patterns(self.stopwords)
        self._cut = self._make_engine()
        spellings = {key: entity.name for key, entity in self.aliases._by_key.items()}
        for term, _, _ in self.userdict:
            if not _plain_chinese(term):
                spellings.setdefault(term.lower(), term)
        self._protect = TermMatcher(spellings)
        self.fingerprint = self._fingerprint()

    def _make_engine(self):
        words = [(term, freq, tag) for term, freq, tag in self.userdict if _plain_chinese(term)]
        if self.engine == "rjieba":
            import rjieba

            engine = rjieba.Jieba()
            for term, freq, tag in words:
                engine.add_word(term, freq, tag)
            return lambda text: engine.cut(text, True)
        import jieba

        jieba.setLogLevel(logging.WARNING)
        engine = jieba.Tokenizer()
        engine.tmp_dir = str(cache_root() / "jieba")
        os.makedirs(engine.tmp_dir, exist_ok=True)
        engine.initialize()
        for term, freq, tag in words:
            engine.add_word(term, freq, tag)
        return lambda text: engine.lcut(text, HMM=True)

    def _fingerprint(self) -> str:
        digest = hashlib.sha256(f"{PIPELINE_VERSION}|{self.engine}".encode())
        for path in (self.userdict_path, self.aliases_path):
            digest.update(path.read_bytes())
        return digest.hexdigest()[:16]

    def tokenize(self, text: str) -> list[str]:
        """Tokens of a text: normalised, entities canonical, compounds joined, no blanks;
        stopwords kept."""
        text = normalise(text)
        tokens: list[str] = []
        position = 0
        for start, end, name in self._protect.finditer(text):
            if start > position:
                tokens += _compound(self._cut(text[position:start]))
            tokens.append(name)
            position = end
        if position < len(text):
            tokens += _compound(self._cut(text[position:]))
        return [token for token in tokens if not token.isspace()]

    def is_stopword(self, token: str) -> bool:
        """Listed stopword, a token matching a `/pattern/` line, or a token with no letter
        and no Chinese character."""
        return (token.lower() in self.stopwords or not _WORDLIKE.search(token)
                or bool(self._stop_pattern and self._stop_pattern.fullmatch(token)))

    def tokenize_many(self, texts: Iterable[str], cache: "TokenCache | None" = None,
                      jobs: int | None = 1) -> pa.ListArray:
        """Tokens of many texts as an Arrow list array (one list per text). Texts are
        segmented in batches, through the on-disk cache when one is given, and on `jobs`
        processes for a large collection (None: every core)."""
        texts = list(texts)
        if cache is not None:
            return cache.lookup(texts, self, jobs)
        chunks = map_texts(self.token_lists, _batches(texts, jobs, BATCH), jobs, units=len(texts))
        return pa.concat_arrays(chunks) if chunks else pa.array([], pa.list_(pa.string()))

    def token_lists(self, texts: list[str]) -> pa.ListArray:
        """One batch of texts tokenised, as an Arrow list array (cheap to send between
        processes)."""
        return pa.array([self.tokenize(t) for t in texts], pa.list_(pa.string()))


def _plain_chinese(term: str) -> bool:
    return all("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in term)


def _compound(pieces: list[str]) -> list[str]:
    """Join Latin/digit pieces split at hyphens or dots (`end` `-` `to`, `copy` `.` `ai`)
    back into one token."""
    if "-" not in pieces and "." not in pieces:
        return pieces
    joined: list[str] = []
    i = 0
    while i < len(pieces):
        piece = pieces[i]
        while (i + 2 < len(pieces) and pieces[i + 1] in _JOINERS and _LATIN_RUN.search(piece[-1:])
               and _LATIN_RUN.match(pieces[i + 2])):
            piece += pieces[i + 1] + pieces[i + 2]
            i += 2
        joined.append(piece)
        i += 1
    return joined


def default_engine() -> str:
    """`rjieba` when installed (fast), else `jieba`; $ANALYSIS_ENGINE overrides."""
    if env := os.environ.get("ANALYSIS_ENGINE"):
        return env
    try:
        import rjieba  # noqa: F401
    except ImportError:  # pragma: no cover - rjieba is a dependency
        return "jieba"
    return "rjieba"


class TokenCache:
    """Segmentations on disk: `<root>/tokens/<fingerprint>/part-*.<checksum>.arrow`, one row
    per distinct text (the text itself is the key, its token list the value), and whole
    token frames `frame-*.<checksum>.arrow`. Every entry's bytes are checked against the
    checksum in its name before Arrow reads them. A new fingerprint (engine or data file
    changed) starts an empty folder, so stale entries are never read."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root else cache_root()
        self._loaded: dict[str, tuple[pa.Array, pa.ListArray]] = {}

    def folder(self, tokenizer: Tokenizer) -> Path:
        return self.root / "tokens" / tokenizer.fingerprint

    def _table(self, tokenizer: Tokenizer) -> tuple[pa.Array, pa.ListArray]:
        key = tokenizer.fingerprint
        if key not in self._loaded:
            tables = [table for part in sorted(self.folder(tokenizer).glob("part-*.arrow"))
                      if (table := _read_entry(part)) is not None]
            if tables:
                table = pa.concat_tables(tables).combine_chunks()
                self._loaded[key] = (table["text"].chunk(0), table["tokens"].chunk(0))
            else:
                self._loaded[key] = (pa.array([], pa.large_string()),
                                     pa.array([], pa.list_(pa.string())))
        return self._loaded[key]

    def lookup(self, texts: list[str], tokenizer: Tokenizer, jobs: int | None = 1
               ) -> pa.ListArray:
        """Token lists of `texts`: cached ones read from disk, the others segmented in
        batches (on `jobs` processes for many), each batch stored."""
        keys = pa.array(texts, pa.large_string())
        known_keys, known_tokens = self._table(tokenizer)
        where = pc.index_in(keys, value_set=known_keys)
        found = known_tokens.take(where)
        if not where.null_count:
            return found
        todo = pc.unique(keys.filter(pc.is_null(where)))
        batches = _batches(todo.to_pylist(), jobs, BATCH)
        parts = map_texts(tokenizer.token_lists, batches, jobs, units=len(todo))
        for plain, fresh in zip(batches, parts):
            name = hashlib.sha1("\x1f".join(plain).encode("utf-8")).hexdigest()[:16]
            self._store(tokenizer, name, pa.array(plain, pa.large_string()), fresh)
        fresh = pa.concat_arrays(parts)
        if len(todo) == len(texts):  # nothing cached and no repeats: already in order
            return fresh
        slot = pc.add(pc.index_in(keys, value_set=todo), len(texts))
        return pa.concat_arrays([found, fresh]).take(pc.coalesce(slot, where_present(where)))

    def frame(self, texts: list[str], ids: list[str], tokenizer: Tokenizer,
              jobs: int | None = 1) -> pd.DataFrame:
        """The long tokens frame of a whole collection of texts. A collection seen before
        (same texts, same fingerprint) is read back whole from one memory-mapped file, the
        case of re-running a notebook; otherwise texts go through `lookup`."""
        digest = hashlib.sha1()
        for text in texts:
            digest.update(text.encode("utf-8"))
            digest.update(b"\x1f")
        name = f"frame-{digest.hexdigest()[:20]}"
        table = next((t for p in sorted(self.folder(tokenizer).glob(f"{name}.*.arrow"))
                      if (t := _read_entry(p)) is not None), None)
        if table is not None:
            token = table["token"].chunk(0) if table.num_rows else None
            return _frame_from_codes(
                table["row"].to_numpy(), table["position"].to_numpy(),
                token.indices.to_numpy() if token is not None else np.array([], np.int32),
                token.dictionary.to_pylist() if token is not None else [], ids, tokenizer)
        frame = tokens_frame(self.lookup(texts, tokenizer, jobs), ids, tokenizer)
        table = pa.table({
            "row": pa.array(frame["utterance_id"].cat.codes.to_numpy(np.int32)),
            "position": pa.array(frame["position"].to_numpy(np.int32)),
            "token": pa.DictionaryArray.from_arrays(
                pa.array(frame["token"].cat.codes.to_numpy(np.int32)),
                pa.array(list(frame["token"].cat.categories), pa.string())),
        })
        self._write(self.folder(tokenizer), name, table)
        self._prune(tokenizer)
        return frame

    def _prune(self, tokenizer: Tokenizer, keep: int = 8) -> None:
        """Keep the newest frames; a frame another process removed first, or a read-only
        cache, is no error."""
        with contextlib.suppress(OSError):
            frames = sorted(self.folder(tokenizer).glob("frame-*.arrow"),
                            key=lambda p: p.stat().st_mtime, reverse=True)
            for old in frames[keep:]:
                old.unlink(missing_ok=True)

    @staticmethod
    def _write(folder: Path, name: str, table: pa.Table) -> None:
        """Store `<name>.<checksum>.arrow` through a temporary file and a rename; a failed
        write (full disk, read-only cache) leaves nothing behind and only costs speed."""
        sink = pa.BufferOutputStream()
        with pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        try:
            write_entry(folder, name, sink.getvalue().to_pybytes())
        except OSError as err:
            _LOG.warning("token cache entry %s not written: %s", folder / name, err)

    def _store(self, tokenizer: Tokenizer, name: str, texts: pa.Array,
               tokens: pa.ListArray) -> None:
        self._write(self.folder(tokenizer), f"part-{name}",
                    pa.table({"text": texts, "tokens": tokens}))


def _read_entry(path: Path) -> pa.Table | None:
    """A cache entry whose bytes match the checksum in its name, else None: a damaged (or
    older, unchecked) entry is reported once, deleted and rebuilt, never read by Arrow."""
    try:
        return pa.ipc.open_file(pa.BufferReader(read_entry(path))).read_all()
    except FileNotFoundError:  # pruned or replaced by another process meanwhile
        return None
    except (OSError, ValueError, pa.ArrowException) as err:
        _LOG.warning("token cache entry %s is damaged (%s): removed, it will be rebuilt",
                     path.name, err)
        with contextlib.suppress(OSError):  # a read-only cache: rebuilt in memory only
            path.unlink(missing_ok=True)
        return None


def where_present(where: pa.Array) -> pa.Array:
    """Row numbers of a batch, null where `index_in` found nothing."""
    positions = pa.array(np.arange(len(where), dtype=np.int64))
    return pc.if_else(pc.is_null(where), pa.scalar(None, pa.int64()), positions)


def get_tokenizer(engine: str | None = None) -> Tokenizer:
    """The shared tokenizer built from the package's data files (one per engine), rebuilt
    when one of them changes."""
    return _tokenizer(engine, files_stamp(USERDICT_FILE, ALIASES_FILE, STOPWORDS_FILE,
                                          max_age=FRESHNESS_S))


@lru_cache(maxsize=2)
def _tokenizer(engine: str | None, stamp: tuple) -> Tokenizer:
    return Tokenizer(engine)


def tokenize(text: str) -> list[str]:
    """Tokens of one text: normalised, aliases canonicalised, compounds joined, blanks
    dropped, stopwords kept."""
    return get_tokenizer().tokenize(text)


def tokens_table(corpus, *, cache: bool | str | Path = True,
                 tokenizer: Tokenizer | None = None, jobs: int | None = None) -> pd.DataFrame:
    """Long table of every utterance's tokens.

    Columns: `utterance_id`, `position` (0-based within the utterance), `token`,
    `is_stopword`. Rows in utterance order. Uses the on-disk cache unless `cache=False`
    (a path chooses the cache folder). A large corpus is tokenised on `jobs` processes
    (default: every core); the table is the same.
    """
    tokenizer = tokenizer or get_tokenizer()
    store = None
    if cache:
        store = TokenCache(None if cache is True else cache)
    texts = corpus.utterances["text"].tolist()
    ids = corpus.utterances["utterance_id"].tolist()
    if store is not None:
        return store.frame(texts, ids, tokenizer, jobs)
    return tokens_frame(tokenizer.tokenize_many(texts, jobs=jobs), ids, tokenizer)


def tokens_frame(lists: pa.ListArray, ids: list[str], tokenizer: Tokenizer) -> pd.DataFrame:
    """The long tokens frame from one token list per id (vectorised, no Python loop over
    tokens)."""
    offsets = lists.offsets.to_numpy()
    offsets = offsets - offsets[0]
    lengths = np.diff(offsets)
    rows = np.repeat(np.arange(len(ids), dtype=np.int32), lengths)
    positions = (np.arange(len(rows), dtype=np.int64) - offsets[:-1][rows]).astype(np.int32) \
        if len(rows) else np.array([], np.int32)
    encoded = pc.dictionary_encode(pc.list_flatten(lists))
    return _frame_from_codes(rows, positions, encoded.indices.to_numpy(zero_copy_only=False),
                             encoded.dictionary.to_pylist(), ids, tokenizer)


def _frame_from_codes(rows: np.ndarray, positions: np.ndarray, codes: np.ndarray,
                      vocabulary: list[str], ids: list[str], tokenizer: Tokenizer
                      ) -> pd.DataFrame:
    stop = np.array([tokenizer.is_stopword(t) for t in vocabulary], dtype=bool)
    return pd.DataFrame({
        "utterance_id": pd.Categorical.from_codes(rows, categories=pd.Index(ids, dtype=object)),
        "position": positions,
        "token": pd.Categorical.from_codes(codes, categories=pd.Index(vocabulary, dtype=object)),
        "is_stopword": stop[codes] if len(codes) else np.array([], bool),
    })
