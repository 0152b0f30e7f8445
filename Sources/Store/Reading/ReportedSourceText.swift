import Kube

/// A relay's record of the agent's source, as the gateway reported it (``RecordedRequest/reportedSource``),
/// in one line: `uid 1000 kubectl[4242] at 127.0.0.1:51234, gateway connection c12, request r40`.
/// It is what the gateway said, never verified; the text says so where it is shown.
public enum ReportedSourceText {
    public static func summary(_ json: String) -> String {
        guard let value = try? JSONParser.parse(json), case .object = value else { return "not a JSON object: \(json.prefix(80))" }
        func int(_ key: String) -> Int64? { value[key]?.intValue }
        let caller = CallerRecord(uid: int("uid"), gid: int("gid"), pid: int("pid"), executable: value["executable"]?.stringValue,
                                  commandLine: value["commandLine"]?.arrayValue?.compactMap(\.stringValue),
                                  containerID: value["containerID"]?.stringValue)
        var parts = [caller.shortText]
        if let address = value["address"]?.stringValue {
            parts[0] = caller.shortText == "-" ? address : parts[0] + " from \(address)"
            if let interface = value["interface"]?.stringValue { parts[0] += " on \(interface)" }
        }
        if let peer = value["peer"]?.stringValue { parts[0] += " at \(peer)" }
        if let container = caller.containerID { parts.append("container \(container.prefix(12))") }
        if let connection = value["connection"]?.stringValue { parts.append("gateway connection \(connection)") }
        if let request = value["request"]?.stringValue { parts.append("request \(request)") }
        return parts.joined(separator: ", ")
    }
}
