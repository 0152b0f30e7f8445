import Kube

/// RFC 6902 JSON patch: add, remove, replace, move, copy and test, with RFC 6901 pointers.
enum JSONPatch {
    struct Failure: Error {
        var message: String
    }

    static func apply(_ patch: JSONValue, to document: JSONValue) throws(Failure) -> JSONValue {
        guard case .array(let operations) = patch else { throw Failure(message: "a JSON patch must be an array of operations") }
        var doc = document
        for (index, operation) in operations.enumerated() {
            guard let op = operation["op"]?.stringValue else { throw Failure(message: "operation \(index) has no \"op\"") }
            guard let path = operation["path"]?.stringValue else { throw Failure(message: "operation \(index) has no \"path\"") }
            let pointer = try parsePointer(path)
            switch op {
            case "add": doc = try add(try value(operation, index), at: pointer, in: doc)
            case "remove": doc = try remove(at: pointer, in: doc).document
            case "replace":
                doc = try remove(at: pointer, in: doc).document
                doc = try add(try value(operation, index), at: pointer, in: doc)
            case "move", "copy":
                guard let from = operation["from"]?.stringValue else { throw Failure(message: "operation \(index) has no \"from\"") }
                let fromPointer = try parsePointer(from)
                let moved: JSONValue
                if op == "move" {
                    (doc, moved) = try remove(at: fromPointer, in: doc)
                } else {
                    moved = try get(fromPointer, in: doc)
                }
                doc = try add(moved, at: pointer, in: doc)
            case "test":
                guard try get(pointer, in: doc) == (try value(operation, index)) else {
                    throw Failure(message: "testing value \(path) failed")
                }
            default: throw Failure(message: "unexpected kind: \(op)")
            }
        }
        return doc
    }

    private static func value(_ operation: JSONValue, _ index: Int) throws(Failure) -> JSONValue {
        guard let v = operation["value"] else { throw Failure(message: "operation \(index) has no \"value\"") }
        return v
    }

    static func parsePointer(_ path: String) throws(Failure) -> [String] {
        if path.isEmpty { return [] }
        guard path.hasPrefix("/") else { throw Failure(message: "JSON pointer \(goQuote(path)) must start with /") }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            String($0).replacing("~1", with: "/").replacing("~0", with: "~")
        }
    }

    private static func get(_ pointer: [String], in doc: JSONValue) throws(Failure) -> JSONValue {
        var current = doc
        for token in pointer {
            switch current {
            case .object(let members):
                guard let next = members[token] else { throw Failure(message: "missing value at /\(pointer.joined(separator: "/"))") }
                current = next
            case .array(let items):
                guard let i = Int(token), items.indices.contains(i) else { throw Failure(message: "bad array index \(token)") }
                current = items[i]
            default: throw Failure(message: "cannot descend into a scalar at \(token)")
            }
        }
        return current
    }

    private static func add(_ value: JSONValue, at pointer: [String], in doc: JSONValue) throws(Failure) -> JSONValue {
        guard let token = pointer.first else { return value }
        let rest = Array(pointer.dropFirst())
        switch doc {
        case .object(var members):
            if rest.isEmpty {
                members[token] = value
            } else {
                guard let child = members[token] else { throw Failure(message: "missing value at \(token)") }
                members[token] = try add(value, at: rest, in: child)
            }
            return .object(members)
        case .array(var items):
            if rest.isEmpty {
                if token == "-" {
                    items.append(value)
                } else {
                    guard let i = Int(token), i >= 0, i <= items.count else { throw Failure(message: "bad array index \(token)") }
                    items.insert(value, at: i)
                }
            } else {
                guard let i = Int(token), items.indices.contains(i) else { throw Failure(message: "bad array index \(token)") }
                items[i] = try add(value, at: rest, in: items[i])
            }
            return .array(items)
        default:
            throw Failure(message: "cannot add below a scalar at \(token)")
        }
    }

    private static func remove(at pointer: [String], in doc: JSONValue) throws(Failure) -> (document: JSONValue, removed: JSONValue) {
        guard let token = pointer.first else { throw Failure(message: "cannot remove the whole document") }
        let rest = Array(pointer.dropFirst())
        switch doc {
        case .object(var members):
            guard let child = members[token] else { throw Failure(message: "missing value at \(token)") }
            if rest.isEmpty {
                members[token] = nil
                return (.object(members), child)
            }
            let (newChild, removed) = try remove(at: rest, in: child)
            members[token] = newChild
            return (.object(members), removed)
        case .array(var items):
            guard let i = Int(token), items.indices.contains(i) else { throw Failure(message: "bad array index \(token)") }
            if rest.isEmpty {
                let removed = items.remove(at: i)
                return (.array(items), removed)
            }
            let (newChild, removed) = try remove(at: rest, in: items[i])
            items[i] = newChild
            return (.array(items), removed)
        default:
            throw Failure(message: "cannot remove below a scalar at \(token)")
        }
    }
}
