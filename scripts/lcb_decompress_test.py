#!/usr/bin/python3
"""Tests scripts/lcb_decompress.py: compressed LiveCodeBench rows become plain JSON, and pickles that
would run code or hold anything but a str are refused. Run: /usr/bin/python3 scripts/lcb_decompress_test.py"""
import base64
import json
import os
import pickle
import subprocess
import sys
import tempfile
import unittest
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "lcb_decompress.py")
sys.path.insert(0, HERE)
import lcb_decompress  # noqa: E402

CASES = [{"input": "[1, 2]\n3", "output": "6", "testtype": "functional"},
         {"input": "[]\n0", "output": "0", "testtype": "functional"}]


def compress(obj):
    """What the HF dataset does: base64(zlib(pickle(json text)))."""
    return base64.b64encode(zlib.compress(pickle.dumps(obj))).decode("ascii")


class Boom:
    def __reduce__(self):
        return (os.system, ("touch " + Boom.marker,))


def run(text):
    return subprocess.run([sys.executable, SCRIPT], input=text, capture_output=True, text=True)


class LcbDecompressTest(unittest.TestCase):
    def test_rows_become_plain_json(self):
        rows = [
            {"question_id": "a", "public_test_cases": json.dumps(CASES[:1]),
             "private_test_cases": compress(json.dumps(CASES)), "metadata": json.dumps({"func_name": "total"})},
            {"question_id": "b", "private_test_cases": json.dumps(CASES)},  # already JSON: untouched
            {"question_id": "c", "public_test_cases": "[]"},                # no private tests
        ]
        out = run("".join(json.dumps(r) + "\n" for r in rows))
        self.assertEqual(out.returncode, 0, out.stderr)
        got = [json.loads(line) for line in out.stdout.splitlines()]
        self.assertEqual(len(got), 3)
        self.assertEqual(json.loads(got[0]["private_test_cases"]), CASES)
        self.assertEqual(got[0]["metadata"], rows[0]["metadata"])
        self.assertEqual(got[1], rows[1])
        self.assertEqual(got[2], rows[2])
        self.assertIn("1 rows decompressed", out.stderr)

    def test_files_as_arguments(self):
        with tempfile.TemporaryDirectory() as d:
            src, dst = os.path.join(d, "in.jsonl"), os.path.join(d, "out.jsonl")
            with open(src, "w") as f:
                f.write(json.dumps({"private_test_cases": compress(json.dumps(CASES))}) + "\n")
            subprocess.run([sys.executable, SCRIPT, src, dst], check=True, capture_output=True)
            with open(dst) as f:
                self.assertEqual(json.loads(json.loads(f.readline())["private_test_cases"]), CASES)

    def test_code_in_the_pickle_never_runs(self):
        with tempfile.TemporaryDirectory() as d:
            Boom.marker = os.path.join(d, "ran")
            out = run(json.dumps({"private_test_cases": compress(Boom())}) + "\n")
            self.assertEqual(out.returncode, 1)
            self.assertIn("line 1: private_test_cases does not unpickle to a str: refusing global", out.stderr)
            self.assertFalse(os.path.exists(Boom.marker))

    def test_bad_values_are_errors_naming_the_line(self):
        for value, message in [
            (compress(CASES), "unpickles to a list, not a str"),  # a list, not JSON text
            (compress("not json"), "unpickles to text that is not JSON"),
            ("@@@ not base64", "neither JSON nor base64+zlib"),
            (base64.b64encode(b"not zlib").decode(), "neither JSON nor base64+zlib"),
        ]:
            out = run(json.dumps({"q": 1}) + "\n" + json.dumps({"private_test_cases": value}) + "\n")
            self.assertEqual(out.returncode, 1, value)
            self.assertIn("line 2: ", out.stderr)
            self.assertIn(message, out.stderr)

    def test_decompress_directly(self):
        self.assertEqual(lcb_decompress.decompress(compress(json.dumps(CASES))), json.dumps(CASES))
        with self.assertRaises(ValueError):
            lcb_decompress.decompress(compress({"a": 1}))


if __name__ == "__main__":
    unittest.main()
