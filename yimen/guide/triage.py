"""智能导办 triage engine: plain words in, ranked service items out.

Pure: no database, no clock. The index is built from plain item records (`ItemRecord`), so it
works on any catalog (the 80-item demo or thousands of imported items) and in benchmarks.

How a query is understood (each step leaves a human-readable "why"):
1. normalise (NFKC, lower case);
2. pinyin: runs of latin letters are read as toneless pinyin and matched against the pinyin of
   the vocabulary (catalog words + lexicon), e.g. "gaoling butie" → 高龄 补贴;
3. homophone typos: a stretch of the query that sounds like a vocabulary word and shares all but
   one of its characters is read as that word (拉圾 → 垃圾, 许可正 → 许可证);
4. lexicon: colloquial / regional words add the catalog's words (娃娃 → 儿童, 丢了 → 补领 …);
5. ranking: BM25 (rank-bm25) over jieba words and character bigrams of each item's name, short
   name, main-item name and keywords, plus a bonus for every whole catalog phrase found in the
   query (keyword, short name) and a rapidfuzz similarity for the best candidates;
6. several requests in one sentence: the query is split at clause boundaries and conjunctions
   (和, 还有, 另外 …); each clause is ranked on its own (with the whole sentence as light
   context) and every clause whose best item is backed by a whole catalog phrase contributes
   that item as an intent.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import jieba
import numpy as np
from pypinyin import lazy_pinyin
from rank_bm25 import BM25Okapi
from rapidfuzz import fuzz

jieba.setLogLevel(logging.WARNING)

# The vocabulary and the plain records live in triage_text; they are re-exported here because
# callers think of them as the triage's own.
from .triage_text import (  # noqa: E402
    CJK,
    CJK_RUN,
    CLAUSE_SPLIT,
    LATIN_RUN,
    LEXICON_PATH,
    LOCAL_PRIOR,
    ItemRecord,
    Lexicon,
    Match,
    Understanding,
    bigrams,
    normalise,
)

__all__ = [
    "CJK",
    "CJK_RUN",
    "CLAUSE_SPLIT",
    "LATIN_RUN",
    "LEXICON_PATH",
    "LOCAL_PRIOR",
    "ItemRecord",
    "Lexicon",
    "Match",
    "TriageIndex",
    "Understanding",
    "bigrams",
    "build_index",
    "default_lexicon",
    "normalise",
]


class TriageIndex:
    """Immutable search index over a list of item records."""

    FIELD_WEIGHTS = {"name": 1, "short_name": 2, "parent_name": 1, "keywords": 2}
    PHRASE_BONUS = 1.2  # per character of a whole catalog phrase found in the query
    FUZZ_WEIGHT = 0.04  # per rapidfuzz point (0–100) for the best candidates
    INFERRED_WEIGHT = 0.6  # weight of words added by the lexicon (vs the person's own words)
    PINYIN_READINGS = 3  # homophone readings kept for one pinyin word
    CANDIDATES = 300  # best BM25 items considered further
    RERANK = 25  # candidates re-ranked with rapidfuzz
    ACTION_GAIN = 0.3  # per action of the request found in the item's name (注销, 补领 …)

    def __init__(self, records: list[ItemRecord], lexicon: Lexicon | None = None):
        self.records = list(records)
        self.lexicon = lexicon or Lexicon.load()
        self.tokenizer = jieba.Tokenizer()
        self._build()

    # ---------------------------------------------------------------- building
    def _build(self):
        lex = self.lexicon
        vocab: set[str] = set()
        self.phrases: dict[str, set[int]] = {}  # whole catalog phrases -> items
        for i, r in enumerate(self.records):
            for p in (r.short_name, r.parent_name, r.name, *r.keywords):
                p = normalise(p)
                if len(p) >= 2:
                    self.phrases.setdefault(p, set()).add(i)
                    # also the parts of a short name such as "挂横幅、贴宣传品审批"
                    for part in re.split(r"[、，/（）()《》\s]+", p):
                        if 2 <= len(part) < len(p):
                            self.phrases.setdefault(part, set()).add(i)
        for p in self.phrases:
            if CJK.search(p) and len(p) <= 12:
                vocab.add(p)
        for variant, canon in lex.synonyms.items():
            vocab.add(variant)
            vocab.update(canon)
        for w in sorted(vocab):
            if CJK.search(w):
                self.tokenizer.add_word(w, freq=2000)
        self.tokenizer.initialize()
        # document tokens; the vocabulary grows with the words jieba finds in names
        corpus = []
        for r in self.records:
            toks: list[str] = []
            for fname, weight in self.FIELD_WEIGHTS.items():
                values = r.keywords if fname == "keywords" else (getattr(r, fname),)
                for v in values:
                    v = normalise(v)
                    if not v:
                        continue
                    words = self._words(v)
                    vocab.update(w for w in words if len(w) >= 2 and CJK.search(w))
                    toks.extend((words + bigrams(v)) * weight)
            corpus.append(toks or ["∅"])
        self.bm25 = BM25Okapi(corpus, k1=1.2, b=0.4)
        # BM25's per-(term, item) contribution does not depend on the query: precompute it once
        # from rank-bm25's statistics, so a query is a handful of vector additions.
        bm = self.bm25
        postings: dict[str, list[tuple[int, float]]] = {}
        for i, doc in enumerate(bm.doc_freqs):
            norm = bm.k1 * (1 - bm.b + bm.b * bm.doc_len[i] / bm.avgdl)
            for t, tf in doc.items():
                postings.setdefault(t, []).append(
                    (i, bm.idf.get(t, 0.0) * tf * (bm.k1 + 1) / (tf + norm))
                )
        self.postings = {
            t: (np.array([i for i, _ in v], dtype=np.int32), np.array([w for _, w in v]))
            for t, v in postings.items()
        }
        # pinyin of the vocabulary, for pinyin input and homophone typos
        self.by_pinyin: dict[tuple[str, ...], set[str]] = {}  # per-character readings (homophones)
        self.by_pinyin_str: dict[str, set[str]] = {}
        for w in vocab:
            if 2 <= len(w) <= 10 and all(CJK.match(c) for c in w):
                py = tuple(lazy_pinyin(w))
                self.by_pinyin_str.setdefault("".join(py), set()).add(w)
                self.by_pinyin.setdefault(tuple(self._char_pinyin(c) for c in w), set()).add(w)
        self._vocab_set = frozenset(vocab)
        self._vocab_tokens: dict[str, list[str]] = {}
        for words in self.lexicon.synonyms.values():
            for w in words:
                self._word_tokens(w)
        self.max_pinyin = max((len(k) for k in self.by_pinyin_str), default=0)
        self._item_text = [
            normalise(" ".join((r.name, r.short_name, r.parent_name, *r.keywords)))
            for r in self.records
        ]
        self._item_actions = [
            {a for a in self.lexicon.actions if a in normalise(r.name + r.short_name)}
            for r in self.records
        ]
        self._action_items = {}
        for i, acts in enumerate(self._item_actions):
            for a in acts:
                self._action_items.setdefault(a, []).append(i)
        self._action_items = {a: np.array(v, dtype=np.int32) for a, v in self._action_items.items()}
        self._prior = np.array([r.prior for r in self.records])
        self._pbb: dict[str, list[str]] = {}
        for p in self.phrases:
            key = bigrams(p)[:1] or re.findall(r"[a-z0-9]{2,}", p)[:1]
            if key:
                self._pbb.setdefault(key[0], []).append(p)
        self.synonym_keys = sorted(self.lexicon.synonyms, key=len, reverse=True)

    def _words(self, text: str) -> list[str]:
        stop = self.lexicon.stopwords
        return [
            w
            for w in self.tokenizer.cut_for_search(text)
            if w.strip() and w not in stop and not re.fullmatch(r"[\W_]+", w)
        ]

    # ---------------------------------------------------------------- understanding
    def understand(self, query: str) -> Understanding:
        text = normalise(query)
        extra: list[str] = []
        notes: list[str] = []
        added: list[tuple[str, ...]] = []
        # 2. pinyin
        for run in LATIN_RUN.findall(text):
            words = run.split()
            if not words:
                continue
            found = self._read_pinyin(words)
            for py, w in found:
                extra.append(w)
                notes.append(f"拼音「{py}」→{w}")
                added.append((w,))
            if not found:
                extra.extend(words)  # keep latin words such as KTV, CT
        # 3. homophone typos
        for wrong, right in self._homophones(text):
            extra.append(right)
            notes.append(f"纠错「{wrong}」→{right}")
            added.append((right,))
        n_read = len(extra)
        # 4. lexicon
        seen: set[str] = set()
        surface = " ".join([text, *extra])
        taken = [False] * len(surface)
        for key in self.synonym_keys:
            start = surface.find(key)
            while start >= 0:
                if not any(taken[start : start + len(key)]):
                    for k in range(start, start + len(key)):
                        taken[k] = True
                    canon = [c for c in self.lexicon.synonyms[key] if c not in seen]
                    if canon:
                        seen.update(canon)
                        extra.extend(canon)
                        notes.append(f"「{key}」→{'、'.join(canon)}")
                        added.append(tuple(canon))
                start = surface.find(key, start + len(key))
        return Understanding(text=text, extra=extra, notes=notes, added=added, n_read=n_read)

    def _read_pinyin(self, words: list[str]) -> list[tuple[str, str]]:
        """Toneless pinyin words → vocabulary words (longest match, may span spaces)."""
        s = "".join(words)
        bounds = set()
        pos = 0
        for w in words:
            bounds.add(pos)
            pos += len(w)
        bounds.add(len(s))
        out = []
        i = 0
        while i < len(s):
            hit = None
            for j in range(min(len(s), i + self.max_pinyin), i + 1, -1):
                cands = self.by_pinyin_str.get(s[i:j])
                if cands and (j in bounds or self._pinyin_continues(s, j)):
                    # toneless pinyin is ambiguous (renzheng = 认证 / 人证): keep the few most
                    # common readings and let the other words of the request decide
                    hit = (
                        j,
                        sorted(cands, key=lambda c: (-self._df(c), c))[: self.PINYIN_READINGS],
                    )
                    break
            if hit:
                out.extend((s[i : hit[0]], w) for w in hit[1])
                i = hit[0]
            else:
                nxt = [b for b in bounds if b > i]
                i = min(nxt) if nxt else len(s)
        return out

    def _pinyin_continues(self, s: str, j: int) -> bool:
        return any(
            s[j:k] in self.by_pinyin_str for k in range(j + 2, min(len(s), j + self.max_pinyin) + 1)
        )

    _CHAR_PINYIN: dict[str, str] = {}

    @classmethod
    def _char_pinyin(cls, c: str) -> str:
        """Default toneless reading of one character (a dictionary look-up, memoised per character)."""
        py = cls._CHAR_PINYIN.get(c)
        if py is None:
            py = cls._CHAR_PINYIN[c] = lazy_pinyin(c)[0]
        return py

    def _df(self, word: str) -> int:
        p = self.postings.get(word)
        return 0 if p is None else len(p[0])

    def _homophones(self, text: str) -> list[tuple[str, str]]:
        out = []
        for run in CJK_RUN.findall(text):
            py = [self._char_pinyin(c) for c in run]
            n = len(run)
            i = 0
            while i < n - 1:
                hit = None
                for L in range(min(8, n - i), 1, -1):
                    cands = self.by_pinyin.get(tuple(py[i : i + L]))
                    if not cands:
                        continue
                    piece = run[i : i + L]
                    if piece in cands:
                        hit = None
                        break  # spelled right
                    for c in sorted(cands):
                        same = sum(a == b for a, b in zip(c, piece))
                        if same >= L - 1 and same >= 1 and (L >= 3 or self._df(c) > 0):
                            hit = (piece, c, L)
                            break
                    if hit:
                        break
                if hit:
                    out.append(hit[:2])
                    i += hit[2]
                else:
                    i += 1
        return out

    # ---------------------------------------------------------------- ranking
    def _tokens(self, u: Understanding) -> list[tuple[str, float]]:
        """(token, weight): the person's own words (and their pinyin / typo readings) count fully,
        words inferred through the lexicon count INFERRED_WEIGHT."""
        toks = [(t, 1.0) for t in self._words(u.text) + bigrams(u.text)]
        for k, e in enumerate(u.extra):
            w = 1.0 if k < u.n_read else self.INFERRED_WEIGHT
            toks += [(t, w) for t in self._word_tokens(e)]
        return toks

    def _word_tokens(self, word: str) -> list[str]:
        """Tokens of a vocabulary word (lexicon words are tokenised once, at first use)."""
        cached = self._vocab_tokens.get(word)
        if cached is None:
            cached = [word] if not CJK.search(word) else self._words(word) + bigrams(word)
            if word in self._vocab_set:
                self._vocab_tokens[word] = cached
        return cached

    def _phrase_hits(self, surface: str) -> dict[int, list[str]]:
        hits: dict[int, list[str]] = {}
        # "养老金的认证" also reads as the catalog phrase "养老金认证"
        surface = surface + " " + surface.replace("的", "")
        for p, items in self._phrases_in(surface):
            for i in items:
                hits.setdefault(i, []).append(p)
        return hits

    def _phrases_in(self, surface: str):
        # candidate phrases share a bigram with the surface; check containment
        seen = set()
        for b in set(bigrams(surface)) | set(re.findall(r"[a-z0-9]{2,}", surface)):
            for p in self._phrase_by_bigram().get(b, ()):
                if p not in seen and p in surface:
                    seen.add(p)
                    yield p, self.phrases[p]

    def _phrase_by_bigram(self) -> dict[str, list[str]]:
        return self._pbb

    def _score(self, u: Understanding) -> tuple[dict[int, float], dict[int, list[str]]]:
        toks = self._tokens(u)
        base = np.zeros(len(self.records))
        for t, w in toks:
            p = self.postings.get(t)
            if p is not None:
                base[p[0]] += w * p[1]
        hits = self._phrase_hits(u.full)
        for i, phrases in hits.items():
            # nested phrases (补贴 inside 高龄补贴) count once: keep the maximal ones
            maximal = [p for p in phrases if not any(p != q and p in q for q in phrases)]
            base[i] += sum(len(p) for p in maximal) * self.PHRASE_BONUS
        # sibling items (新办 / 变更 / 注销 / 补领 of one matter) differ in their action: an item
        # whose name carries an action the request names gains ACTION_GAIN per action, in
        # proportion to its score
        surface = u.full
        gain = np.ones(len(self.records))
        for a in self.lexicon.actions:
            if a in surface and a in self._action_items:
                gain[self._action_items[a]] += self.ACTION_GAIN
        base *= gain
        base *= self._prior
        nonzero = np.flatnonzero(base)
        if len(nonzero) > self.CANDIDATES:
            nonzero = nonzero[np.argpartition(-base[nonzero], self.CANDIDATES)[: self.CANDIDATES]]
        return {int(i): float(base[i]) for i in nonzero}, hits

    def _rerank(self, u: Understanding, scores: dict[int, float]) -> dict[int, float]:
        top = sorted(scores, key=scores.get, reverse=True)[: self.RERANK]
        q = u.full
        out = dict(scores)
        for i in top:
            r = self.records[i]
            names = [normalise(x) for x in (r.short_name, r.name, *r.keywords) if x]
            best = max((fuzz.partial_ratio(n, q) for n in names if len(n) >= 2), default=0)
            out[i] = scores[i] + best * self.FUZZ_WEIGHT * (1 if best >= 60 else 0)
        return out

    def clauses(self, text: str) -> list[str]:
        parts = []
        for chunk in CLAUSE_SPLIT.split(normalise(text)):
            parts_before = len(parts)
            words = list(self.tokenizer.cut(chunk))
            cur = ""
            for w in words:
                if w in self.lexicon.conjunctions and cur.strip():
                    parts.append(cur)
                    cur = ""
                else:
                    cur += w
            if cur.strip():
                parts.append(cur)
            # coordinated modifiers share their head: "补贴和养老金的认证" = 补贴的认证 + 养老金的认证
            for k in range(parts_before, len(parts) - 1):
                nxt = parts[k + 1]
                if len(parts[k].strip()) <= 4 and "的" in nxt and "的" not in parts[k]:
                    parts[k] = parts[k].strip() + nxt[nxt.index("的") :]
        out = []
        for p in parts:
            p = p.strip()
            if len(CJK_RUN.sub("xx", p)) < 2:
                continue
            if any(m in p for m in self.lexicon.done_markers):
                continue  # "公司刚拿到执照": context, not a request
            out.append(p)
        return out

    def search(self, query: str, limit: int = 5) -> list[Match]:
        u = self.understand(query)
        scores, hits = self._score(u)
        if not scores:
            return []
        scores = self._rerank(u, scores)
        order = sorted(scores, key=lambda i: (-scores[i], self.records[i].code))
        intents = [order[0]]
        clause_why: dict[int, str] = {}
        clause_texts = self.clauses(query)
        if len(clause_texts) > 1:
            for c in clause_texts:
                cu = self.understand(c)
                cs, chits = self._score(cu)
                if not cs:
                    continue
                # the clause decides; the whole sentence only breaks ties
                best = max(
                    cs, key=lambda i: (round(cs[i], 6), scores.get(i, 0.0), self.records[i].code)
                )
                # a clause counts as a request of its own only when a whole catalog phrase
                # (keyword / short name) of its best item is in the clause
                if chits.get(best) and best not in intents:
                    intents.append(best)
                    ph = sorted(set(chits[best]), key=len, reverse=True)[:2]
                    clause_why[best] = f"分句「{c}」匹配「" + "」「".join(ph) + "」"
        top_score = scores[order[0]] or 1.0
        rest = [i for i in order if i not in intents]
        ranked = intents[:1] + sorted(intents[1:], key=lambda i: -scores.get(i, 0.0)) + rest
        query_words = [
            w for w in dict.fromkeys(self._words(u.text)) if len(w) >= 2 and CJK.search(w)
        ]
        out = []
        for i in ranked[: max(limit, len(intents))]:
            r = self.records[i]
            why = []
            if hits.get(i):
                ph = sorted(set(hits[i]), key=len, reverse=True)[:3]
                why.append("匹配「" + "」「".join(ph) + "」")
            # only the readings that concern this item (words found in its names / keywords)
            own = self._item_text[i]
            why.extend(n for n, words in zip(u.notes, u.added) if any(w in own for w in words))
            if i in clause_why:
                why.append(clause_why[i])
            if not why:
                shared = [w for w in query_words if w in own][:3]
                why.append("相同词语「" + "」「".join(shared) + "」" if shared else "字面相近")
            out.append(
                Match(
                    code=r.code,
                    name=r.name,
                    score=round(scores.get(i, 0.0) / top_score, 3),
                    why=why,
                    intent=i in intents,
                )
            )
        return out


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    return Lexicon.load()


def build_index(records: list[ItemRecord]) -> TriageIndex:
    return TriageIndex(records, default_lexicon())
