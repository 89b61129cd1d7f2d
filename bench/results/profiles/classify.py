#!/usr/bin/env python3
"""Classify `perf script` samples of one .NET process into data-path stages.
Each sample is one period of cpu-clock (printed by perf); the stage is decided by the first rule that matches the
sample's call chain. Samples before the first CRC/SHA sample and after the last one are start-up / tail."""
import re, sys, collections
path = sys.argv[1]
gib = float(sys.argv[2]) if len(sys.argv) > 2 else 0.5
RULES = [
    ("jit (start-up, tier-up)", lambda s, leaf: "libclrjit" in s),



    ("SHA-256 and MD5 (libcrypto; libcrypto has no frame pointers, so the caller is not on the stack)", lambda s, leaf: "libcrypto" in leaf),
    ("CRC-64/NVME (System.IO.Hashing)", lambda s, leaf: "System.IO.Hashing" in s),
    ("GC", lambda s, leaf: "gc_heap" in s or "GCHeap" in s or "WKS::" in s or "SVR::" in s),
    ("write to stdout / sink (kernel pipe write + syscall)", lambda s, leaf: "pipe_write" in s or ("ksys_write" in s and "tcp_" not in s and "sock_" not in s)),
    ("stdin read (kernel pipe/file read)", lambda s, leaf: ("pipe_read" in s or "ksys_read" in s or "filemap_read" in s) and "sock_" not in s and "tcp_" not in s),
    ("network receive (kernel tcp recv + copy to user)", lambda s, leaf: "tcp_recvmsg" in s or "sock_recvmsg" in s or "__sys_recvfrom" in s),
    ("network send (kernel tcp send)", lambda s, leaf: "tcp_sendmsg" in s or "sock_sendmsg" in s or "__sys_sendto" in s),
    ("kernel other (scheduler, softirq, page faults, epoll)", lambda s, leaf: "[kernel" in leaf),
    ("memory copy (memmove) in managed code", lambda s, leaf: "memmove" in leaf or "Buffer::Memmove" in leaf or "SpanHelpers::Memmove" in leaf),
    ("managed: AWS SDK", lambda s, leaf: "[AWSSDK" in s),
    ("managed: System.Net.Http/Sockets", lambda s, leaf: "[System.Net" in s),
    ("managed: S3Fanout", lambda s, leaf: "S3Fanout" in s),
    ("runtime/other", lambda s, leaf: True),
]
samples = []
cur = None
for line in open(path, errors="replace"):
    if not line.strip():
        if cur: samples.append(cur)
        cur = None
        continue
    if not line.startswith(("\t", " ")):
        m = re.search(r"\s(\d+)\s+([\d.]+):\s+(\d+)\s+cpu-clock", line)
        cur = [float(m.group(2)), int(m.group(3)), []] if m else None
        continue
    if cur is not None:
        cur[2].append(line.strip())
if cur: samples.append(cur)
def stage(frames):
    s = "\n".join(frames); leaf = frames[0] if frames else ""
    for name, rule in RULES:
        if rule(s, leaf): return name
data_ts = [t for t, p, f in samples if any("System.IO.Hashing" in x or "libcrypto" in x for x in f[:1]) or any("System.IO.Hashing" in x for x in f)]
t0, t1 = (min(data_ts), max(data_ts)) if data_ts else (0, 0)
phase = collections.Counter(); per = collections.Counter(); total = 0
for t, p, f in samples:
    sec = p / 1e9; total += sec
    ph = "start-up (before the first checksummed byte)" if t < t0 else "tail (after the last checksummed byte)" if t > t1 else "data"
    phase[ph] += sec
    if ph == "data": per[stage(f)] += sec
print(f"samples: {len(samples)}, CPU {total:.2f} s; data phase {t1-t0:.2f} s wall")
for k, v in phase.most_common(): print(f"  {k:60s} {v:6.2f} s")
print(f"data phase by stage (CPU s, and CPU s per GiB of {gib} GiB):")
for k, v in per.most_common(): print(f"  {k:60s} {v:6.2f} s  {v/gib:5.2f} s/GiB")
