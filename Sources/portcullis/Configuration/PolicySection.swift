import Foundation

/// `policy:` — the policy file (docs/policy.md). `portcullis up` refuses to start without one: with
/// no policy every request would be denied.
struct PolicySection: Equatable {
    var file: String

    static func read(_ value: YAMLValue) throws(ConfigurationError) -> PolicySection {
        let fields = try value.mapping(allowed: ["file"])
        guard let v = fields["file"] else { throw value.error("file is required: the policy file's path") }
        let file = try v.string()
        guard file.hasPrefix("/") else { throw v.error("expected an absolute path, got '\(file)'") }
        return PolicySection(file: file)
    }
}
