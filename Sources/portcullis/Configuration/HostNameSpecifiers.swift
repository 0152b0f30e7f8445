import Foundation

/// Expands `%H`, `%m` and `%b` in `central.hostName`, as systemd's unit specifiers do. (`%%` gives a
/// percent sign, which no host name may hold; it is accepted only to be refused with the others.)
enum HostNameSpecifiers {
    static let defaultTemplate = "%H"

    struct ExpansionError: Error, CustomStringConvertible {
        var description: String
    }

    static func expand(_ template: String, hostName: () -> String = currentHostName,
                       file: (String) -> String? = { try? String(contentsOfFile: $0, encoding: .utf8) }) throws(ExpansionError) -> String {
        var out = ""
        var iterator = template.makeIterator()
        while let c = iterator.next() {
            guard c == "%" else {
                out.append(c)
                continue
            }
            switch iterator.next() {
            case "H": out += hostName()
            case "m": out += try read("/etc/machine-id", file, what: "the machine id (%m)")
            case "b": out += try read("/proc/sys/kernel/random/boot_id", file, what: "the boot id (%b)").replacingOccurrences(of: "-", with: "")
            case "%": out += "%"
            case let other: throw ExpansionError(description: "unknown specifier %\(other.map(String.init) ?? ""): use %H, %m, %b or %%")
            }
        }
        guard !out.isEmpty, out.utf8.count <= 253 else { throw ExpansionError(description: "the host name must have 1 to 253 characters, got '\(out)'") }
        guard out.allSatisfy({ $0.isLetter || $0.isNumber || "-._".contains($0) }), out.isASCII else {
            throw ExpansionError(description: "the host name may hold ASCII letters, digits, '-', '.' and '_' only, got '\(out)'")
        }
        return out
    }

    static func currentHostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func read(_ path: String, _ file: (String) -> String?, what: String) throws(ExpansionError) -> String {
        guard let text = file(path)?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else {
            throw ExpansionError(description: "cannot read \(what) from \(path)")
        }
        return text
    }
}

private extension String {
    var isASCII: Bool { utf8.allSatisfy { $0 < 128 } }
}
