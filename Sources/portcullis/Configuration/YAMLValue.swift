import Foundation
import Yams

/// A node of a configuration file with its dotted path, for strict reading: every error names the
/// file, the line and the field, and keys the reader does not know are errors, not ignored.
struct YAMLValue {
    let node: Node
    let path: String
    let file: String

    func error(_ message: String) -> ConfigurationError {
        ConfigurationError(file: file, line: node.mark?.line, field: path, message: message)
    }

    private func child(_ node: Node, _ key: String) -> YAMLValue {
        YAMLValue(node: node, path: path.isEmpty ? key : "\(path).\(key)", file: file)
    }

    /// The members of a mapping; throws for a non-mapping or a key outside `allowed`.
    func mapping(allowed: Set<String>) throws(ConfigurationError) -> [String: YAMLValue] {
        guard case .mapping(let mapping) = node else { throw error("expected a mapping of keys to values") }
        var members: [String: YAMLValue] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { throw error("keys must be strings") }
            guard allowed.contains(name) else {
                throw child(key, name).error("unknown field (allowed here: \(allowed.sorted().joined(separator: ", ")))")
            }
            members[name] = child(value, name)
        }
        return members
    }

    func sequence() throws(ConfigurationError) -> [YAMLValue] {
        guard case .sequence(let items) = node else { throw error("expected a list") }
        return items.enumerated().map { YAMLValue(node: $1, path: "\(path)[\($0)]", file: file) }
    }

    func string() throws(ConfigurationError) -> String {
        guard case .scalar(let scalar) = node else { throw error("expected a string") }
        return scalar.string
    }

    func unsigned<T: FixedWidthInteger & UnsignedInteger>(_ type: T.Type, in range: ClosedRange<T>) throws(ConfigurationError) -> T {
        guard case .scalar(let scalar) = node, let value = T(scalar.string), range.contains(value) else {
            throw error("expected a whole number from \(range.lowerBound) to \(range.upperBound), got \((node.scalar?.string).map { "'\($0)'" } ?? "a non-scalar")")
        }
        return value
    }

    /// Loads and parses `path`.
    static func load(path: String) throws(ConfigurationError) -> YAMLValue {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(file: path, line: nil, field: "", message: "cannot read the file: \(error.localizedDescription)")
        }
        return try parse(text, file: path)
    }

    /// Parses `text`, read from `file`.
    static func parse(_ text: String, file: String) throws(ConfigurationError) -> YAMLValue {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ConfigurationError(file: file, line: nil, field: "", message: "the file is empty")
            }
            return YAMLValue(node: node, path: "", file: file)
        } catch let error as ConfigurationError {
            throw error
        } catch let error as YamlError {
            throw ConfigurationError(file: file, line: Self.line(of: error), field: "", message: "not valid YAML: \(error)")
        } catch {
            throw ConfigurationError(file: file, line: nil, field: "", message: "not valid YAML: \(error)")
        }
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return nil
        }
    }
}
