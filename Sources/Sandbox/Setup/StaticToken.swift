import Foundation

/// One line of a kube-apiserver static token file: `token,user,uid,"group1,group2"`.
public struct StaticToken: Sendable, Hashable {
    public var token: String
    public var user: String
    public var uid: String
    public var groups: [String]

    public init(token: String, user: String, uid: String, groups: [String]) {
        self.token = token
        self.user = user
        self.uid = uid
        self.groups = groups
    }

    /// Parses a token file. Blank lines and lines starting with `#` are skipped.
    /// - Throws: ``TokenFileError`` naming the line that is malformed.
    public static func parse(_ text: String, path: String) throws(TokenFileError) -> [StaticToken] {
        var tokens: [StaticToken] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: " \t\r")
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = csvFields(line)
            guard fields.count >= 3, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw TokenFileError(path: path, line: index + 1,
                                     message: "expected token,user,uid[,\"group1,group2\"] with a non-empty token and user")
            }
            let groups = fields.count > 3 ? fields[3].split(separator: ",").map { $0.trimmingCharacters(in: " ") } : []
            tokens.append(StaticToken(token: fields[0], user: fields[1], uid: fields[2], groups: groups.filter { !$0.isEmpty }))
        }
        return tokens
    }

    /// The line for this token in the file format.
    public var line: String { "\(token),\(user),\(uid),\"\(groups.joined(separator: ","))\"" }

    private static func csvFields(_ line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        for c in line {
            if c == "\"" {
                quoted.toggle()
            } else if c == ",", !quoted {
                fields.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        fields.append(current)
        return fields
    }

    /// A random token: 32 bytes as hex.
    public static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}

public struct TokenFileError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var line: Int
    public var message: String
    public var description: String { "\(path):\(line): \(message)" }
}
