#!/usr/bin/env python3
"""Packs the embedded job's class path for a GPU host that has no Maven and no internet.

    python3 tools/gpu-bench/pack_jars.py OUT_DIR [PIECE_MIB]     (PROJECT_ROOT: another checkout's build)

Reads pipeline/target/classpath.txt (written by the build; `bin/transcribe` runs with it) and
pipeline/target/classes, then submitter/target/classpath.txt and submitter/target/classes when
present (written by `bin/serve`: the HTTP service and its benchmark, for `bin/pipeline-bench-gpu
service`), and writes to OUT_DIR:

  jobjars.tar.zst.NN   pieces of at most PIECE_MIB (default 40) of one zstd-compressed tar
  MANIFEST.sha256      sha256 of every piece and of the whole archive
  (inside the tar)     jobjars/CLASSPATH: the jar names in class path order

The onnxruntime jar is left out: the GPU host brings ONNX Runtime's classes together with the
CUDA natives that match them (the ortcuda bundle's $ORT_CLASSPATH). Every jar is rewritten
uncompressed (entries, order and times kept) so that zstd sees the classes rather than deflate
output, and native libraries for other platforms than linux-x86_64 are dropped. The same inputs
give the same pieces.
"""

import hashlib
import io
import os
import re
import subprocess
import sys
import tarfile
import zipfile

ROOT = os.environ.get("PROJECT_ROOT") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# Native libraries of other platforms, by jar: (jar name pattern, entries to drop if they are
# native libraries).
FOREIGN = [
    (r"tokenizers-", r"^native/lib/(?!linux-x86_64/).+"),
    (r"jna-\d", r"^com/sun/jna/(?!linux-x86-64/)[^/]+/[^/]*(jnidispatch)[^/]*$"),
    (r"snappy-java-", r"^org/xerial/snappy/native/(?!Linux/x86_64/).+"),
    (r"lz4-java-", r"^net/jpountz/util/(?!linux/amd64/)[^/]+/[^/]+/.+"),
    (r"flink-shaded-netty-", r"^META-INF/native/(?!.*x86_64\.so$).+\.(so|jnilib|dll)$"),
]
NATIVE = re.compile(r"\.(so|dll|dylib|jnilib|a)$")  # only native libraries are ever dropped


def stored(data, drop=None):
    """The zip `data` rewritten with every entry stored; entries matching `drop` left out."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    dropped = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            if drop is not None and drop.match(info.filename) and NATIVE.search(info.filename):
                dropped += 1
                continue
            body = src.read(info)
            if info.filename.endswith(".jar"):  # a nested jar (flink-rpc-akka-loader)
                body, _ = stored(body)
            new = zipfile.ZipInfo(info.filename, info.date_time)
            new.external_attr = info.external_attr
            new.compress_type = zipfile.ZIP_STORED
            new.comment = info.comment
            new.extra = b""
            dst.writestr(new, body)
    return out.getvalue(), dropped


def classes_jar(folder):
    """pipeline/target/classes as an uncompressed jar, entries sorted, fixed times."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            rel = os.path.relpath(dirpath, folder).replace(os.sep, "/")
            if rel != ".":  # folder entries too: class path resources looked up as folders need them
                info = zipfile.ZipInfo(rel + "/", (2020, 1, 1, 0, 0, 0))
                info.external_attr = 0o755 << 16 | 0x10
                dst.writestr(info, b"")
            for f in sorted(filenames):
                path = os.path.join(dirpath, f)
                name = os.path.relpath(path, folder).replace(os.sep, "/")
                info = zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                with open(path, "rb") as fh:
                    dst.writestr(info, fh.read())
    return out.getvalue()


def add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    info.mtime = 0
    info.uname = info.gname = ""
    tar.addfile(info, io.BytesIO(data))


def main():
    out_dir = sys.argv[1]
    piece = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    with open(os.path.join(ROOT, "pipeline/target/classpath.txt")) as fh:
        jars = [j for j in fh.read().strip().split(":") if j]
    names = ["pipeline-classes.jar"]
    extra = []
    service_cp = os.path.join(ROOT, "submitter/target/classpath.txt")
    if os.path.exists(service_cp):
        with open(service_cp) as fh:
            extra = [j for j in fh.read().strip().split(":") if j]
    raw = io.BytesIO()
    before = after = 0
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        add(tar, "jobjars/pipeline-classes.jar", classes_jar(os.path.join(ROOT, "pipeline/target/classes")))
        if extra:
            names.append("submitter-classes.jar")
            add(tar, "jobjars/submitter-classes.jar", classes_jar(os.path.join(ROOT, "submitter/target/classes")))
        for jar in jars + extra:
            base = os.path.basename(jar)
            if base.startswith("onnxruntime") or (jar in extra and re.match(r"pipeline-\d", base)):
                continue
            if jar in extra and base in names:
                continue  # on both class paths
            drop = None
            for jar_pattern, entry_pattern in FOREIGN:
                if re.match(jar_pattern, base):
                    drop = re.compile(entry_pattern)
            with open(jar, "rb") as fh:
                data = fh.read()
            body, dropped = stored(data, drop)
            before += len(data)
            after += len(body)
            if base in names:
                sys.exit(f"two jars named {base} on the class path")
            names.append(base)
            add(tar, "jobjars/" + base, body)
            if dropped:
                print(f"  {base}: {dropped} entries for other platforms dropped")
        add(tar, "jobjars/CLASSPATH", ("\n".join(names) + "\n").encode())
    tar_bytes = raw.getvalue()
    zst = subprocess.run(
        ["zstd", "-q", "-19", "--long=27", "-T0", "-c"], input=tar_bytes, stdout=subprocess.PIPE, check=True
    ).stdout
    os.makedirs(out_dir, exist_ok=True)
    for f in os.listdir(out_dir):
        if f.startswith("jobjars.tar.zst") or f == "MANIFEST.sha256":
            os.remove(os.path.join(out_dir, f))
    size = piece * 1024 * 1024
    lines = []
    for i in range(0, len(zst), size):
        name = "jobjars.tar.zst.%02d" % (i // size)
        with open(os.path.join(out_dir, name), "wb") as fh:
            fh.write(zst[i : i + size])
        lines.append(f"{hashlib.sha256(zst[i:i + size]).hexdigest()}  {name}")
    lines.append(f"{hashlib.sha256(zst).hexdigest()}  jobjars.tar.zst")
    with open(os.path.join(out_dir, "MANIFEST.sha256"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print(
        f"{len(names)} jars: {before / 2**20:.1f} MiB as built, {after / 2**20:.1f} MiB stored and"
        f" trimmed, {len(zst) / 2**20:.1f} MiB as tar.zst in {len(lines) - 1} pieces of <= {piece} MiB"
    )


if __name__ == "__main__":
    main()
