/// The uncompressed form of a SPDY/3 header block: a 32-bit count, then for each field a 32-bit
/// name length, the name, a 32-bit value length and the value (values separated by NUL).
enum SPDYHeaderBlockCoding {
    /// Checks the block's invariants (names non-empty, lowercase, unique) and serializes it.
    static func serialize(_ block: SPDYHeaderBlock) throws(SPDYFrameError) -> [UInt8] {
        var seen = Set<String>()
        var out: [UInt8] = []
        out.appendBigEndian(UInt32(block.fields.count))
        for field in block.fields {
            try validate(name: field.name)
            guard seen.insert(field.name).inserted else { throw .duplicateHeaderName(field.name) }
            let name = Array(field.name.utf8), value = Array(field.value.utf8)
            guard value.count <= Int(UInt32.max) else { throw .malformedHeaderBlock("the value of \(field.name) is too long") }
            out.appendBigEndian(UInt32(name.count))
            out += name
            out.appendBigEndian(UInt32(value.count))
            out += value
        }
        return out
    }

    /// Parses a whole decompressed block; bytes left over after the last field are an error.
    static func parse(_ bytes: [UInt8]) throws(SPDYFrameError) -> SPDYHeaderBlock {
        var reader = SPDYByteReader(bytes[...])
        guard let count = reader.readUInt32() else {
            throw .malformedHeaderBlock("\(bytes.count) bytes cannot hold the 4-byte field count")
        }
        // Each field takes at least 8 bytes, so a larger count cannot be honest.
        guard Int(count) <= reader.remaining / 8 else {
            throw .malformedHeaderBlock("\(count) fields claimed but only \(reader.remaining) bytes follow")
        }
        var block = SPDYHeaderBlock()
        var seen = Set<String>()
        for index in 0..<Int(count) {
            let name = try readField(&reader, what: "name of field \(index + 1)")
            guard let nameText = String(validating: name, as: UTF8.self) else {
                throw .invalidHeaderName(String(decoding: name, as: UTF8.self), reason: "not UTF-8")
            }
            try validate(name: nameText)
            guard seen.insert(nameText).inserted else { throw .duplicateHeaderName(nameText) }
            guard let value = String(validating: try readField(&reader, what: "value of \(nameText)"), as: UTF8.self) else {
                throw .headerValueNotUTF8(name: nameText)
            }
            block.fields.append(.init(name: nameText, value: value))
        }
        guard reader.remaining == 0 else {
            throw .malformedHeaderBlock("\(reader.remaining) bytes follow the last of \(count) fields")
        }
        return block
    }

    /// A length-prefixed name or value.
    private static func readField(_ reader: inout SPDYByteReader, what: String) throws(SPDYFrameError) -> ArraySlice<UInt8> {
        guard let length = reader.readUInt32() else { throw .malformedHeaderBlock("truncated before the length of the \(what)") }
        guard let bytes = reader.readBytes(Int(length)) else {
            throw .malformedHeaderBlock("the \(what) claims \(length) bytes but only \(reader.remaining) remain")
        }
        return bytes
    }

    static func validate(name: String) throws(SPDYFrameError) {
        if name.isEmpty { throw .invalidHeaderName(name, reason: "empty") }
        if name.utf8.contains(where: { (0x41...0x5A).contains($0) }) { throw .invalidHeaderName(name, reason: "not lowercase") }
        if name.utf8.contains(0) { throw .invalidHeaderName(name, reason: "contains NUL") }
    }
}
