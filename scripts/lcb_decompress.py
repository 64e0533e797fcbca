#!/usr/bin/python3
"""Decompresses LiveCodeBench rows so that `rlvr verify` (and CodeProblemFromJson) can read them.

The HF dataset livecodebench/code_generation_lite stores `private_test_cases` as
base64(zlib(pickle(JSON text))); rlvr reads JSON only (decoding pickle in C++ is not reasonable).
This rewrites that column as the JSON text it holds and leaves every other field, and rows that are
already plain JSON, as they are.

    scripts/lcb_decompress.py < lcb.jsonl > lcb_plain.jsonl
    scripts/lcb_decompress.py lcb.jsonl lcb_plain.jsonl

Safety: the unpickler refuses every global and extension (no callable can be reached, so nothing
runs while loading) and the result must be a str holding JSON. Exit 1 naming the line on a row it
cannot decode.
"""
import base64
import io
import json
import pickle
import sys
import zlib


class _StrOnlyUnpickler(pickle.Unpickler):
    """Loads plain data only: any global (the way a pickle reaches code) is an error."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"refusing global {module}.{name}: only a pickled str is accepted")

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("refusing a persistent id: only a pickled str is accepted")


def decompress(text):
    """The JSON text inside one compressed `private_test_cases` value; ValueError when it is not one."""
    try:
        raw = zlib.decompress(base64.b64decode(text.encode("ascii"), validate=True))
    except (ValueError, UnicodeEncodeError, zlib.error) as e:
        raise ValueError(f"private_test_cases is neither JSON nor base64+zlib: {e}") from None
    try:
        value = _StrOnlyUnpickler(io.BytesIO(raw)).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError) as e:
        raise ValueError(f"private_test_cases does not unpickle to a str: {e}") from None
    if not isinstance(value, str):
        raise ValueError(f"private_test_cases unpickles to a {type(value).__name__}, not a str of JSON")
    try:
        json.loads(value)
    except ValueError as e:
        raise ValueError(f"private_test_cases unpickles to text that is not JSON: {e}") from None
    return value


def convert_row(row):
    """The row with a compressed `private_test_cases` replaced by its JSON text (in place)."""
    value = row.get("private_test_cases") if isinstance(row, dict) else None
    if isinstance(value, str):
        try:
            json.loads(value)
            return row  # already JSON
        except ValueError:
            row["private_test_cases"] = decompress(value)
    return row


def main(argv):
    if len(argv) > 3 or (len(argv) > 1 and argv[1] in ("-h", "--help")):
        sys.stderr.write(__doc__)
        return 2
    src = open(argv[1], encoding="utf-8") if len(argv) > 1 else sys.stdin
    dst = open(argv[2], "w", encoding="utf-8") if len(argv) > 2 else sys.stdout
    converted = 0
    for number, line in enumerate(src, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            before = row.get("private_test_cases") if isinstance(row, dict) else None
            row = convert_row(row)
            converted += row.get("private_test_cases") is not before if isinstance(row, dict) else 0
        except ValueError as e:
            sys.stderr.write(f"error: line {number}: {e}\n")
            return 1
        dst.write(json.dumps(row, ensure_ascii=False) + "\n")
    dst.flush()
    sys.stderr.write(f"{converted} rows decompressed\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
