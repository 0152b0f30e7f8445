/// What a cgroup v2 path says about who runs in it (pure functions of the path).
///
/// - Units: the innermost component ending in `.service`, `.scope`, `.socket`, `.mount` or `.swap`
///   (the unit types that hold processes). Slices only group them.
/// - Containers: the innermost 64-hex-digit id (``ContainerID``), its runtime from the component
///   that holds it: `docker-<id>.scope` or `/docker/<id>` (Docker), `cri-containerd-<id>.scope`,
///   `…slice:cri-containerd:<id>` or `nerdctl-<id>.scope` (containerd), `crio-<id>.scope` (CRI-O),
///   `libpod-<id>.scope` (Podman), a bare id below a `kubepods` pod (`cri`: the kubelet's cgroupfs
///   driver does not name it); any other id is `unknown`.
/// - Pods: `kubepods-besteffort-pod<uid>.slice` (systemd driver, `_` for `-` in the uid) or
///   `/kubepods/besteffort/pod<uid>` (cgroupfs driver), below a `kubepods` component.
public enum CgroupPathNames {
    static let unitSuffixes = [".service", ".scope", ".socket", ".mount", ".swap"]
    static let runtimePrefixes: [(prefix: String, runtime: String)] = [
        ("cri-containerd-", "containerd"), ("nerdctl-", "containerd"), ("crio-conmon-", "cri-o"), ("crio-", "cri-o"),
        ("libpod-conmon-", "podman"), ("libpod-", "podman"), ("docker-", "docker"),
    ]

    public static func unit(in path: String) -> String? {
        components(path).last { component in unitSuffixes.contains { component.hasSuffix($0) && component.count > $0.count } }
    }

    public static func container(in path: String) -> CallerContainer? {
        guard let id = ContainerID.find(inCgroup: path) else { return nil }
        let parts = components(path)
        guard let index = parts.lastIndex(where: { $0.contains(id) }) else { return nil }
        let component = parts[index]
        for (prefix, runtime) in runtimePrefixes where component.hasPrefix(prefix) {
            return CallerContainer(runtime: runtime, id: id)
        }
        // The systemd driver's `<slice>:<runtime>:<id>` form (kubelet with containerd or CRI-O).
        let fields = component.split(separator: ":").map(String.init)
        if fields.count >= 2, fields.last == id {
            let name = fields[fields.count - 2] + "-"
            for (prefix, runtime) in runtimePrefixes where name == prefix { return CallerContainer(runtime: runtime, id: id) }
        }
        if component == id, index > 0 {
            let parent = parts[index - 1]
            if parent == "docker" { return CallerContainer(runtime: "docker", id: id) }
            if podUID(fromComponent: parent) != nil, parts.contains(where: { $0.hasPrefix("kubepods") }) {
                return CallerContainer(runtime: "cri", id: id)
            }
        }
        return CallerContainer(runtime: "unknown", id: id)
    }

    public static func podUID(in path: String) -> String? {
        let parts = components(path)
        guard let kubepods = parts.firstIndex(where: { $0.hasPrefix("kubepods") }) else { return nil }
        return parts[kubepods...].compactMap(podUID(fromComponent:)).last
    }

    /// `pod<uid>` or `kubepods-…-pod<uid>.slice`, the uid with `-` or `_`, as a dashed lowercase UUID.
    static func podUID(fromComponent component: String) -> String? {
        var text = component.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? Substring(component)
        if text.hasSuffix(".slice") { text = text.dropLast(".slice".count) }
        let characters = Array(text)
        guard let start = (0..<max(0, characters.count - 2)).last(where: { String(characters[$0..<($0 + 3)]) == "pod" }) else {
            return nil
        }
        guard start == 0 || characters[start - 1] == "-" else { return nil }
        let uid = String(characters[(start + 3)...]).lowercased().replacing("_", with: "-")
        let groups = uid.split(separator: "-", omittingEmptySubsequences: false).map(\.count)
        guard groups == [8, 4, 4, 4, 12], uid.allSatisfy({ $0 == "-" || $0.isHexDigit }) else { return nil }
        return uid
    }

    static func components(_ path: String) -> [String] {
        path.split(separator: "/").map(String.init)
    }
}
