/// The request-target of an HTTP request split the way Go's `net/url` splits it: a percent-decoded
/// path and the query as ordered key/value pairs.
public struct RequestTarget: Sendable, Hashable {
    /// The decoded path, as Go's `URL.Path`.
    public var path: String
    /// The path as it appeared on the wire, without the query.
    public var rawPath: String
    /// The raw query, without the `?`.
    public var rawQuery: String
    public var query: QueryParameters

    /// Parses an origin-form (`/api/v1/pods?limit=500`) or absolute-form
    /// (`https://host:6443/api/v1/pods`) request-target as Go's `url.ParseRequestURI` does: a
    /// scheme counts only at the very start, and a `#` is part of the path or query, not a fragment.
    public init(_ target: String) {
        var rest = Substring(target)
        let colon = Self.schemeEnd(rest)
        if let colon { rest = rest[rest.index(after: colon)...] }
        let pathPart: Substring
        if let q = rest.firstIndex(of: "?") {
            pathPart = rest[..<q]
            rawQuery = String(rest[rest.index(after: q)...])
        } else {
            pathPart = rest
            rawQuery = ""
        }
        var pathOnly = pathPart
        if colon != nil, pathOnly.hasPrefix("//") {
            // The authority of an absolute-form target ends at the first `/`.
            let authority = pathOnly.dropFirst(2)
            pathOnly = authority.firstIndex(of: "/").map { authority[$0...] } ?? ""
        }
        rawPath = String(pathOnly)
        path = PercentDecoding.decode(rawPath, plusAsSpace: false) ?? rawPath
        query = QueryParameters(rawQuery)
    }

    /// The index of the `:` ending a leading URL scheme (`ALPHA *(ALPHA / DIGIT / "+" / "-" / ".")`),
    /// as Go's `getScheme` finds it; `nil` when the target does not start with one.
    private static func schemeEnd(_ text: Substring) -> String.Index? {
        var index = text.startIndex
        while index < text.endIndex {
            let c = text[index]
            if c == ":" { return index == text.startIndex ? nil : index }
            guard c.isASCII, c.isLetter || (index != text.startIndex && (c.isNumber || "+-.".contains(c))) else {
                return nil
            }
            index = text.index(after: index)
        }
        return nil
    }
}

/// Query parameters in order, decoded like Go's `url.ParseQuery`: `+` is a space, pairs with a
/// bad percent-escape or a `;` are dropped.
public struct QueryParameters: Sendable, Hashable {
    public private(set) var pairs: [(name: String, value: String)]

    public init(_ rawQuery: String) {
        pairs = []
        for piece in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
            if piece.contains(";") { continue }
            let (rawName, rawValue): (Substring, Substring)
            if let eq = piece.firstIndex(of: "=") {
                rawName = piece[..<eq]
                rawValue = piece[piece.index(after: eq)...]
            } else {
                rawName = piece
                rawValue = ""
            }
            guard let name = PercentDecoding.decode(String(rawName), plusAsSpace: true),
                  let value = PercentDecoding.decode(String(rawValue), plusAsSpace: true) else { continue }
            pairs.append((name, value))
        }
    }

    public init(pairs: [(name: String, value: String)]) {
        self.pairs = pairs
    }

    /// The first value of `name`, as Go's `Values.Get`.
    public subscript(name: String) -> String? {
        pairs.first(where: { $0.name == name })?.value
    }

    public func values(_ name: String) -> [String] {
        pairs.filter { $0.name == name }.map(\.value)
    }

    public func contains(_ name: String) -> Bool {
        pairs.contains(where: { $0.name == name })
    }

    public static func == (lhs: QueryParameters, rhs: QueryParameters) -> Bool {
        lhs.pairs.elementsEqual(rhs.pairs, by: { $0.name == $1.name && $0.value == $1.value })
    }

    public func hash(into hasher: inout Hasher) {
        for pair in pairs {
            hasher.combine(pair.name)
            hasher.combine(pair.value)
        }
    }
}

public enum PercentDecoding {
    /// Decodes `%XX` escapes; `nil` when an escape is malformed or the result is not UTF-8.
    public static func decode(_ text: String, plusAsSpace: Bool) -> String? {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusAsSpace && $0 == UInt8(ascii: "+")) }) else {
            return text
        }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var bytes = text.utf8.makeIterator()
        while let b = bytes.next() {
            switch b {
            case UInt8(ascii: "%"):
                guard let h = bytes.next().flatMap(hexValue), let l = bytes.next().flatMap(hexValue) else { return nil }
                out.append(h << 4 | l)
            case UInt8(ascii: "+") where plusAsSpace:
                out.append(UInt8(ascii: " "))
            default:
                out.append(b)
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Escapes everything but RFC 3986 unreserved characters, for building query strings.
    public static func encodeQueryComponent(_ text: String) -> String {
        var out = ""
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                 UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let hex = String(b, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
