/// The part of `metainternalversion.ListOptions` decoding that RequestInfo depends on.
///
/// As in kube-apiserver, when any parameter fails to decode, every option is dropped except
/// `watch`, which is then read directly (anything but `false` or `0` is true).
public struct ListOptionsDecoding: Sendable {
    public var watch: Bool
    public var fieldSelector: FieldSelector?

    public static func decode(_ query: QueryParameters) -> ListOptionsDecoding {
        if let decoded = strictDecode(query) { return decoded }
        // requestinfo.go's fallback compares `strings.ToLower(watch)`, not EqualFold.
        let watch = query["watch"].map { $0 != "0" && $0.lowercased() != "false" } ?? false
        return ListOptionsDecoding(watch: watch, fieldSelector: nil)
    }

    /// apimachinery's `Convert_Slice_string_To_bool`: absent is false, `0` and `false` (compared
    /// with `strings.EqualFold`) are false, anything else, including empty, is true.
    public static func boolValue(_ value: String?) -> Bool {
        guard let value else { return false }
        return value != "0" && !equalFoldFalse(value)
    }

    /// `strings.EqualFold(value, "false")`: ASCII case-insensitive, plus U+017F (ſ), which
    /// simple case folding maps to `s`.
    private static func equalFoldFalse(_ value: String) -> Bool {
        let scalars = Array(value.unicodeScalars)
        guard scalars.count == 5 else { return false }
        return zip(scalars, "false".unicodeScalars).allSatisfy { actual, expected in
            actual == expected || actual.value == expected.value - 0x20 || (expected == "s" && actual == "\u{17F}")
        }
    }

    private static func strictDecode(_ query: QueryParameters) -> ListOptionsDecoding? {
        // `limit` (int64) and `timeoutSeconds` (*int64) both go through strconv.ParseInt, which
        // fails on an empty value.
        if let v = query["limit"], Int64(v) == nil { return nil }
        if let v = query["timeoutSeconds"], Int64(v) == nil { return nil }
        var fieldSelector: FieldSelector?
        if let raw = query["fieldSelector"] {
            guard let parsed = try? FieldSelector(parsing: raw) else { return nil }
            fieldSelector = parsed
        }
        if let raw = query["labelSelector"], (try? LabelSelector(parsing: raw)) == nil { return nil }
        return ListOptionsDecoding(watch: boolValue(query["watch"]), fieldSelector: fieldSelector)
    }
}
