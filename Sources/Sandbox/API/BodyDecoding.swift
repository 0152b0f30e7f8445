import Kube
import Yams

/// Turns a request body into JSON, with the 400 or 415 Status kube-apiserver would give.
enum BodyDecoding {
    static func mediaType(_ contentType: String) -> String {
        (contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: " ") } ?? "").lowercased()
    }

    /// Decodes a JSON (or YAML, for apply patches and YAML bodies) document, or a protobuf body
    /// of a kind the sandbox serves (``ProtobufObject``).
    static func decode(_ body: [UInt8], contentType: String) throws(Status) -> JSONValue {
        let media = mediaType(contentType)
        if media == ProtobufEnvelope.mediaType { return try decodeProtobuf(body) }
        if media.contains("protobuf") || media.contains("cbor") {
            throw unsupported("the sandbox reads JSON, YAML and \(ProtobufEnvelope.mediaType) bodies only, not \(media)")
        }
        guard !body.isEmpty else { throw Status.badRequest("the request body is empty") }
        do {
            return try JSONParser.parse(body)
        } catch let jsonError {
            if media.contains("yaml") || media.isEmpty, let yaml = try? decodeYAML(body) { return yaml }
            throw Status.badRequest("couldn't decode the request body as JSON: \(jsonError)")
        }
    }

    /// A protobuf body as the JSON Go would write for it: 415 for a kind the sandbox does not
    /// read, 400 for bytes that do not decode, as kube-apiserver answers.
    static func decodeProtobuf(_ body: [UInt8]) throws(Status) -> JSONValue {
        do {
            return try ProtobufObject.json(decoding: body)
        } catch ProtobufBodyError.unknownKind(let apiVersion, let kind) {
            let known = ProtobufObject.knownKinds.map(\.kind).filter { !$0.hasSuffix("List") && $0 != "Status" }
            throw unsupported("the sandbox reads protobuf bodies of \(known.joined(separator: ", ")) only, not \(kind) (\(apiVersion))")
        } catch {
            throw Status.badRequest("couldn't decode the request body as protobuf: \(error)")
        }
    }

    static func unsupported(_ message: String) -> Status {
        Status(message: message, reason: "UnsupportedMediaType", details: StatusDetails(), code: 415)
    }

    /// Decodes a body that must be one object (create, update).
    static func decodeObject(_ body: [UInt8], contentType: String) throws(Status) -> JSONValue {
        let value = try decode(body, contentType: contentType)
        guard case .object = value else { throw Status.badRequest("the request body must be a JSON object") }
        return value
    }

    private static func decodeYAML(_ body: [UInt8]) throws -> JSONValue? {
        guard let text = String(validating: body, as: UTF8.self), let any = try Yams.load(yaml: text) else { return nil }
        return convert(any)
    }

    private static func convert(_ any: Any) -> JSONValue {
        switch any {
        case let b as Bool: return .bool(b)
        case let i as Int: return .int(Int64(i))
        case let d as Double: return .double(d)
        case let s as String: return .string(s)
        case let a as [Any]: return .array(a.map(convert))
        case let m as [String: Any]: return .object(m.mapValues(convert))
        case let m as [AnyHashable: Any]:
            var out: [String: JSONValue] = [:]
            for (k, v) in m { out["\(k)"] = convert(v) }
            return .object(out)
        default: return .null
        }
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var s = self[...]
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
