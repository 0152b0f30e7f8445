/// A configuration file problem: where, which field, and what is wrong.
struct ConfigurationError: Error, CustomStringConvertible {
    var file: String
    var line: Int?
    var field: String
    var message: String

    var description: String {
        var location = file
        if let line { location += ":\(line)" }
        return field.isEmpty ? "\(location): \(message)" : "\(location): \(field): \(message)"
    }
}
