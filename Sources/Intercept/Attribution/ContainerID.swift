/// Finds a container id in a cgroup path.
///
/// Container runtimes name a container's cgroup after its 64-hex-digit id:
/// - Docker (systemd driver) `.../docker-<id>.scope`, (cgroupfs driver) `/docker/<id>`;
/// - containerd `.../cri-containerd-<id>.scope`; CRI-O `.../crio-<id>.scope`;
/// - Podman `.../libpod-<id>.scope`; kubelet with cgroupfs `/kubepods/.../pod<uid>/<id>`.
///
/// The rule: the innermost run of exactly 64 lowercase hex digits that is bounded on both sides by the
/// path's start or end or by one of `/ - . _ :`. So a 63- or 65-digit run, uppercase hex, or a run glued
/// to other letters is not an id.
public enum ContainerID {
    public static let length = 64

    public static func find(inCgroup path: String) -> String? {
        let bytes = Array(path.utf8)
        var best: Range<Int>?
        var start = 0
        while start < bytes.count {
            guard isLowerHex(bytes[start]) else { start += 1; continue }
            var end = start
            while end < bytes.count && isLowerHex(bytes[end]) { end += 1 }
            let boundedBefore = start == 0 || isSeparator(bytes[start - 1])
            let boundedAfter = end == bytes.count || isSeparator(bytes[end])
            if end - start == length && boundedBefore && boundedAfter { best = start..<end }
            start = end
        }
        return best.map { String(decoding: bytes[$0], as: UTF8.self) }
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte)
    }

    private static func isSeparator(_ byte: UInt8) -> Bool {
        "/-._:".utf8.contains(byte)
    }
}
