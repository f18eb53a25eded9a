#!/usr/bin/env python3
"""bin/export against a local server in the Hugging Face hub's URL layout (HF_ENDPOINT pointed at it).

  python models/export/test_hub.py      (models/export/test.sh runs it; bin/export runs in OMNISCRIBE_EXPORT_VENV)

The server holds the published layout's mimic (tiny/hf-awq-omni) as repository Qwen/Qwen2.5-Omni-7B-AWQ, with a
24 MiB token2wav tensor added to the last shard (so a transfer cut off mid-file has written whole 10 MiB blocks
and resumes with a Range request), a stray model.safetensors the index does not name and a spk_dict.pt (neither
may be downloaded). Endpoints, as huggingface_hub calls them: GET /api/models/{repo}/revision/{rev} (commit),
GET /api/models/{repo}/tree/{commit} (files, sizes, LFS SHA-256), HEAD and GET /{repo}/resolve/{rev}/{file}
(X-Repo-Commit, ETag / X-Linked-Etag, sizes; Range). The first GET of the last shard is cut off after 15 MiB.
"""

import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import omni_export  # noqa: E402
import test_export  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
REPO = "Qwen/Qwen2.5-Omni-7B-AWQ"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
CUT_AFTER = 15 << 20
TOKEN = "hf_test_token"
LFS = (".safetensors", ".pt")


class FakeHub:
    """The repository's files, their hub metadata, and a log of the requests made."""

    def __init__(self, folder: str):
        self.folder = folder
        self.files = {}
        for name in sorted(os.listdir(folder)):
            with open(os.path.join(folder, name), "rb") as f:
                data = f.read()
            git_oid = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
            sha = hashlib.sha256(data).hexdigest()
            self.files[name] = {"size": len(data), "git": git_oid, "sha256": sha if name.endswith(LFS) else None}
        self.log = []
        self.cut_file = None  # the next plain GET of this file is cut off after CUT_AFTER bytes
        self.lock = threading.Lock()

    def etag(self, name):
        meta = self.files[name]
        return meta["sha256"] or meta["git"]


def handler_for(hub: FakeHub):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def record(self):
            with hub.lock:
                hub.log.append({"method": self.command, "path": self.path.split("?")[0],
                                "range": self.headers.get("Range"), "auth": self.headers.get("Authorization")})

        def send_json(self, obj, code=200):
            body = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def not_found(self, code="RepoNotFound"):
            body = b'{"error": "Repository not found"}'
            self.send_response(404)
            self.send_header("X-Error-Code", code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_HEAD(self):
            self.record()
            self.resolve(head=True)

        def do_GET(self):
            self.record()
            path = self.path.split("?")[0]
            m = re.fullmatch(r"/api/models/(.+?)/revision/([^/]+)", path)
            if m:
                if m.group(1) != REPO:
                    return self.not_found()
                return self.send_json({"id": REPO, "modelId": REPO, "sha": COMMIT, "private": False,
                                       "siblings": [{"rfilename": n} for n in hub.files]})
            m = re.fullmatch(r"/api/models/(.+?)/tree/([^/]+)(/.*)?", path)
            if m:
                if m.group(1) != REPO:
                    return self.not_found()
                entries = []
                for name, meta in hub.files.items():
                    e = {"type": "file", "oid": meta["git"], "size": meta["size"], "path": name}
                    if meta["sha256"]:
                        e["lfs"] = {"oid": meta["sha256"], "size": meta["size"], "pointerSize": 134}
                    entries.append(e)
                return self.send_json(entries)
            self.resolve(head=False)

        def resolve(self, head: bool):
            m = re.fullmatch(r"/(.+?)/resolve/([^/]+)/(.+)", self.path.split("?")[0])
            if not m or m.group(1) != REPO:
                return self.not_found()
            name = m.group(3)
            if name not in hub.files:
                return self.not_found("EntryNotFound")
            meta = hub.files[name]
            size = meta["size"]
            start = 0
            rng = self.headers.get("Range")
            if rng and not head:
                start = int(re.fullmatch(r"bytes=(\d+)-\d*", rng).group(1))
            self.send_response(206 if start else 200)
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("ETag", f'"{hub.etag(name)}"')
            if meta["sha256"]:
                self.send_header("X-Linked-Etag", f'"{meta["sha256"]}"')
                self.send_header("X-Linked-Size", str(size))
            self.send_header("Accept-Ranges", "bytes")
            if start:
                self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
            self.send_header("Content-Length", str(size - start))
            self.end_headers()
            if head:
                return
            with open(os.path.join(hub.folder, name), "rb") as f:
                f.seek(start)
                data = f.read()
            with hub.lock:
                cut = hub.cut_file == name and not start
                if cut:
                    hub.cut_file = None
            if cut:
                self.wfile.write(data[:CUT_AFTER])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(data)

    return Handler


def build_repo(folder: str) -> str:
    """The mimic plus a 24 MiB token2wav tensor in its last shard, a stray model.safetensors and spk_dict.pt;
    returns the last shard's name."""
    shutil.copytree(os.path.join(ROOT, "models", "tiny", "hf-awq-omni"), folder)
    with open(os.path.join(folder, omni_export.INDEX_FILE), encoding="utf-8") as f:
        index = json.load(f)
    last = sorted(set(index["weight_map"].values()))[-1]
    tensors = test_export.read_tensors(os.path.join(folder, last))
    filler = np.frombuffer(np.random.default_rng(5).bytes(24 << 20), dtype=np.uint8)
    tensors["token2wav.code2wav_bigvgan_model.filler"] = filler
    test_export.write_tensors(os.path.join(folder, last), tensors)
    index["weight_map"]["token2wav.code2wav_bigvgan_model.filler"] = last
    index["metadata"]["total_size"] += filler.nbytes
    with open(os.path.join(folder, omni_export.INDEX_FILE), "w", encoding="utf-8") as f:
        json.dump(index, f, indent=2)
    test_export.write_tensors(os.path.join(folder, "model.safetensors"),
                              {"thinker.model.norm.weight": np.zeros(128, np.float16)})
    with open(os.path.join(folder, "spk_dict.pt"), "wb") as f:
        f.write(b"not a voice")
    return last


class HubExportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="hub-test-")
        cls.last_shard = build_repo(os.path.join(cls.tmp, "repo"))
        cls.hub = FakeHub(os.path.join(cls.tmp, "repo"))
        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_for(cls.hub))
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.endpoint = f"http://127.0.0.1:{cls.server.server_address[1]}"
        cls.reference = os.path.join(cls.tmp, "reference")
        test_export.export_quiet(os.path.join(ROOT, "models", "tiny", "hf-awq"), cls.reference, "int4", "float16")

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()
        shutil.rmtree(cls.tmp)

    def bin_export(self, *args, hf_home="hf-home"):
        env = dict(os.environ)
        env.update({"HF_ENDPOINT": self.endpoint, "HF_HOME": os.path.join(self.tmp, hf_home), "HF_TOKEN": TOKEN,
                    "HF_HUB_DISABLE_TELEMETRY": "1"})
        env.pop("HF_HUB_CACHE", None)
        env.pop("HF_HUB_OFFLINE", None)
        return subprocess.run([os.path.join(ROOT, "bin", "export"), *args], env=env, capture_output=True, text=True,
                              timeout=600)

    def gets(self, since=0):
        return [e for e in self.hub.log[since:] if e["method"] == "GET" and "/resolve/" in e["path"]]

    def assert_graphs_as_reference(self, out):
        for g in test_export.GRAPHS:
            self.assertIsNone(test_export.graph_difference(os.path.join(out, g), os.path.join(self.reference, g)), g)

    def test_download_resumes_verifies_exports_then_uses_the_cache(self):
        self.hub.cut_file = self.last_shard
        out = os.path.join(self.tmp, "out")
        start = len(self.hub.log)
        r = self.bin_export(REPO, "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip().splitlines()[-1], f"--model {os.path.abspath(out)}")
        self.assertIn("verified 4 LFS files", r.stderr)
        self.assert_graphs_as_reference(out)
        with open(os.path.join(out, "model.json"), encoding="utf-8") as f:
            self.assertEqual(json.load(f)["source"], REPO)
        gets = self.gets(start)
        shard_gets = [e for e in gets if e["path"].endswith(self.last_shard)]
        # cut off after 15 MiB, resumed after the 10 MiB block written
        self.assertEqual([e["range"] for e in shard_gets], [None, f"bytes={10 << 20}-"])
        fetched = {e["path"].rsplit("/", 1)[1] for e in gets}
        self.assertNotIn("model.safetensors", fetched)
        self.assertNotIn("spk_dict.pt", fetched)
        self.assertIn("model-00001-of-00004.safetensors", fetched)
        self.assertTrue(all(e["auth"] == f"Bearer {TOKEN}" for e in self.hub.log[start:]))
        # the cached blob of the resumed shard is whole
        snapshot = os.path.join(self.tmp, "hf-home", "hub", "models--Qwen--Qwen2.5-Omni-7B-AWQ", "snapshots", COMMIT)
        with open(os.path.join(snapshot, self.last_shard), "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), self.hub.files[self.last_shard]["sha256"])

        # again: nothing downloaded, same graphs
        start = len(self.hub.log)
        out2 = os.path.join(self.tmp, "out2")
        r = self.bin_export(REPO, "--out", out2)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.gets(start), [])
        self.assert_graphs_as_reference(out2)

        # a corrupted blob is found, removed, and downloaded again by the next run
        blob = os.path.realpath(os.path.join(snapshot, "model-00001-of-00004.safetensors"))
        with open(blob, "r+b") as f:
            f.seek(-1, os.SEEK_END)
            last = f.read(1)
            f.seek(-1, os.SEEK_END)
            f.write(bytes([last[0] ^ 0xFF]))
        r = self.bin_export(REPO, "--out", os.path.join(self.tmp, "out3"))
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr, r"model-00001-of-00004\.safetensors: SHA-256 [0-9a-f]{64} differs")
        self.assertFalse(os.path.exists(blob))
        start = len(self.hub.log)
        r = self.bin_export(REPO, "--out", os.path.join(self.tmp, "out3"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([e["path"].rsplit("/", 1)[1] for e in self.gets(start)],
                         ["model-00001-of-00004.safetensors"])
        self.assert_graphs_as_reference(os.path.join(self.tmp, "out3"))

    def test_unknown_repository(self):
        r = self.bin_export("Qwen/No-Such-Model", "--out", os.path.join(self.tmp, "none"), hf_home="hf-home-2")
        self.assertEqual(r.returncode, 2)
        self.assertIn("Qwen/No-Such-Model: no such repository", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "none", "model.json")))

    def test_folder_path(self):
        out = os.path.join(self.tmp, "from-folder")
        start = len(self.hub.log)
        r = self.bin_export(os.path.join(ROOT, "models", "tiny", "hf-awq-omni"), "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.hub.log[start:], [])
        self.assert_graphs_as_reference(out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
