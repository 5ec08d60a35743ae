"""Writes bert-base-uncased-samples.json: sample texts and the ids HF's BERT tokenizer gives them.

A reference written here from the behaviour that shared/data/bert-base-uncased/tokenizer.json
configures (BertNormalizer: clean_text, handle_chinese_chars, lowercase, accents stripped;
BertPreTokenizer; WordPiece with '##' and max_input_chars_per_word 100; [CLS] A [SEP]). It reads
the vocabulary from tokenizer.json itself, so it also checks that vocab.txt matches it.

Run: python3 make_tokenizer_samples.py ../../../../shared/data/bert-base-uncased/tokenizer.json
"""
import json
import sys
import unicodedata

SAMPLES = [
    "Hello, my dog is cute",
    "This movie was GREAT!!! 10/10 <br /><br />Would watch again.",
    "Price: $5.00 (plus 10% tax) & a+b=c ^_^ `quoted` |pipe| ~tilde~",
    "Café naïve résumé Über façade — “smart quotes” and ‘single’ … ellipsis",
    "tab\tseparated\u00a0nbsp and zero\u200bwidth and control\u0007char",
    "中文字符 and 日本語 mixed with English",
    "unbelievably unaffordable antidisestablishmentarianism",
    "don't won't I'm you're it's they've",
    "emoji 😀 and symbols ™ © ® € £ ¥ ° ½",
    "a" * 101 + " long word",
    "[MASK] stays whole; [cls] lower-case does not",
    "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３",
]

PUNCT_ASCII = set(range(33, 48)) | set(range(58, 65)) | set(range(91, 97)) | set(range(123, 127))
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def is_whitespace(ch):
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def is_control(ch):
    return ch not in "\t\n\r" and unicodedata.category(ch).startswith("C")


def is_punct(ch):
    return ord(ch) in PUNCT_ASCII or unicodedata.category(ch).startswith("P")


def is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def normalize(text):
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or is_control(ch):
            continue
        if is_whitespace(ch):
            out.append(" ")
        elif is_cjk(cp):
            out.append(" " + ch + " ")
        else:
            out.append(ch)
    text = "".join(out).lower()
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def words(text):
    result, current = [], ""
    for ch in text:
        if is_whitespace(ch) or is_punct(ch):
            if current:
                result.append(current)
            current = ""
            if not is_whitespace(ch):
                result.append(ch)
        else:
            current += ch
    if current:
        result.append(current)
    return result


def wordpiece(word, vocab):
    if len(word) > 100:
        return [vocab["[UNK]"]]
    pieces, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while start < end:
            piece = ("##" if start > 0 else "") + word[start:end]
            if piece in vocab:
                found = vocab[piece]
                break
            end -= 1
        if found is None:
            return [vocab["[UNK]"]]
        pieces.append(found)
        start = end
    return pieces


def encode(text, vocab):
    ids, rest = [], text
    while rest:
        hits = [(rest.find(s), s) for s in SPECIAL if rest.find(s) >= 0]
        if not hits:
            segment, special, rest = rest, None, ""
        else:
            at, special = min(hits)
            segment, rest = rest[:at], rest[at + len(special):]
        for w in words(normalize(segment)):
            ids.extend(wordpiece(w, vocab))
        if special:
            ids.append(vocab[special])
    return [vocab["[CLS]"]] + ids + [vocab["[SEP]"]]


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        vocab = json.load(f)["model"]["vocab"]
    samples = [{"text": t, "ids": encode(t, vocab)} for t in SAMPLES]
    with open("bert-base-uncased-samples.json", "w", encoding="utf-8") as f:
        f.write(json.dumps({"source": "make_tokenizer_samples.py over tokenizer.json", "samples": samples}, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
