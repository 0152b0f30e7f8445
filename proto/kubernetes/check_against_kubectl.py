#!/usr/bin/env python3
"""Checks every field declared in this directory's .proto files against the file descriptors a
kubectl binary registers (k8s.io/api and k8s.io/apimachinery, gzipped FileDescriptorProtos in the
binary): name, number, label, type and message type must be upstream's.

    proto/kubernetes/check_against_kubectl.py [/usr/lib/google-cloud-sdk/bin/kubectl.1.32]

Needs protoc (Debian's protobuf-compiler). Exits 1 naming each difference.
"""
import os, re, subprocess, sys, tempfile, zlib

HERE = os.path.dirname(os.path.abspath(__file__))
KUBECTL = sys.argv[1] if len(sys.argv) > 1 else "/usr/lib/google-cloud-sdk/bin/kubectl.1.32"
DESCRIPTOR = ["-I/usr/include", "google/protobuf/descriptor.proto"]


def decode(binary, type_name):
    return subprocess.run(["protoc", f"--decode={type_name}", *DESCRIPTOR], input=binary,
                          capture_output=True, check=True).stdout.decode()


def messages(text):
    """{package:Message.Nested: [field dicts]} from protoc's text form of descriptors."""
    found, stack, levels, level, field, package = {}, [], [], 0, None, None
    for line in text.split("\n"):
        s = line.strip()
        if s.endswith("{"):
            level += 1
            key = s[:-1].strip()
            if key in ("message_type", "nested_type"):
                levels.append(level)
                stack.append({"name": None, "fields": []})
            elif key == "field" and stack:
                field = {}
        elif s == "}":
            if field is not None and levels and level == levels[-1] + 1:
                stack[-1]["fields"].append(field)
                field = None
            elif levels and level == levels[-1]:
                message = stack.pop()
                levels.pop()
                prefix = ".".join(m["name"] for m in stack)
                found[f"{package}:{prefix + '.' if prefix else ''}{message['name']}"] = message["fields"]
            level -= 1
        elif ":" in s:
            key, value = s.split(":", 1)
            value = value.strip().strip('"')
            if field is not None:
                field[key] = value
            elif stack and key == "name" and stack[-1]["name"] is None:
                stack[-1]["name"] = value
            elif not stack and key == "package":
                package = value
    return found


def upstream():
    data = open(KUBECTL, "rb").read()
    found = {}
    for match in re.finditer(re.escape(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"), data):
        try:
            raw = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data[match.start():match.start() + (1 << 20)])
        except zlib.error:
            continue
        if raw[:1] != b"\x0a" or b"k8s.io/" not in raw[:200]:
            continue
        try:
            found.update(messages(decode(raw, "google.protobuf.FileDescriptorProto")))
        except subprocess.CalledProcessError:
            continue
    return found


def ours():
    with tempfile.NamedTemporaryFile() as out:
        files = sorted(f for f in os.listdir(HERE) if f.endswith(".proto"))
        subprocess.run(["protoc", f"-I{HERE}", f"--descriptor_set_out={out.name}", *files], check=True)
        return messages(decode(open(out.name, "rb").read(), "google.protobuf.FileDescriptorSet"))


def main():
    theirs, problems, checked = upstream(), 0, 0
    if not theirs:
        sys.exit(f"no Kubernetes file descriptors found in {KUBECTL}")
    for name, fields in sorted(ours().items()):
        reference = {f["name"]: f for f in theirs.get(name, [])}
        if not reference:
            print(f"{name}: not in {KUBECTL}")
            problems += 1
            continue
        for field in fields:
            checked += 1
            up = reference.get(field["name"])
            if up is None:
                print(f"{name}.{field['name']}: no such field upstream")
                problems += 1
                continue
            for key in ("number", "label", "type"):
                if field.get(key) != up.get(key):
                    print(f"{name}.{field['name']}: {key} {field.get(key)}, upstream {up.get(key)}")
                    problems += 1
            if field.get("type_name", "").split(".")[-1] != up.get("type_name", "").split(".")[-1]:
                print(f"{name}.{field['name']}: type {field.get('type_name')}, upstream {up.get('type_name')}")
                problems += 1
    print(f"{checked} fields checked against {KUBECTL}: {problems} differences")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
