import FuzzSupport
@testable import Intercept

/// What a cgroup path names (unit, container, pod UID) on any path, and the mountinfo parser on any
/// text: an agent with a delegated cgroup subtree chooses its cgroups' names. No crash; a container
/// id found is 64 lowercase hex digits, a pod UID a dashed UUID.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    withFuzzInput(data, count, fuzz)
}

/// The entry point SwiftPM's debug build links as `main` (see Fuzz/CFuzzerDriver).
@_cdecl("fuzz_cgroup_path_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, testOneInput)
}

func fuzz(_ data: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: data, count: count), as: UTF8.self)
    _ = CgroupPathNames.unit(in: text)
    if let container = CgroupPathNames.container(in: text) {
        precondition(container.id.count == 64 && container.id.allSatisfy { $0.isHexDigit && !$0.isUppercase }, "container id \(container.id)")
    }
    if let pod = CgroupPathNames.podUID(in: text) {
        precondition(pod.split(separator: "-", omittingEmptySubsequences: false).map(\.count) == [8, 4, 4, 4, 12], "pod UID \(pod)")
    }
    if let hierarchy = CgroupHierarchy.parse(mountInfo: text) { _ = hierarchy.hierarchyPath(relative: "a/b") }
    return 0
}
