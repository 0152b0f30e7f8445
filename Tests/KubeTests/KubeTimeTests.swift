import Kube
import Testing

struct KubeTimeTests {
    static let reference = KubeTime(microseconds: 1_795_932_227_000_000)  // 2026-11-29T06:03:47Z

    @Test(arguments: [
        ("2026-11-29T06:03:47Z", Int64(0)),
        ("2026-11-29T07:03:47+01:00", 0),
        ("2026-11-29T01:33:47-04:30", 0),
        ("2026-11-29T06:03:47.5Z", 500_000),
        ("2026-11-29T06:03:47.000001Z", 1),
        ("2026-11-29T06:03:47.123456789Z", 123_456),
        ("2026-11-29T06:03:46.999999-00:00", -1),
        ("2026-11-30T00:03:47+18:00", 0),
    ])
    func parsesOffsetsAndFractions(_ text: String, _ microsAfterReference: Int64) throws {
        let time = try #require(KubeTime(rfc3339: text))
        #expect(time.microseconds - Self.reference.microseconds == microsAfterReference)
    }

    @Test(arguments: [
        "", "2026-11-29", "2026-11-29T06:03:47", "2026-11-29 06:03:47Z", "2026-11-29T06:03:47.Z", "2026-11-29T06:03:47Zjunk",
        "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-01-00T00:00:00Z", "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
        "2100-02-29T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z", "2026-01-01T00:00:60Z",
        "2026-01-01T00:00:00+24:00", "2026-01-01T00:00:00+01:60", "2026-01-01T00:00:00+0100", "2026-1-01T00:00:00Z",
    ])
    func rejectsWhatGoRejects(_ text: String) {
        #expect(KubeTime(rfc3339: text) == nil)
    }

    @Test(arguments: ["2024-02-29T12:00:00Z", "2000-02-29T00:00:00Z", "1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
    func acceptsValidCalendarDates(_ text: String) throws {
        #expect(try #require(KubeTime(rfc3339: text)).rfc3339 == text)
    }

    @Test func secondsAndOrdering() {
        #expect(KubeTime(microseconds: -1).seconds == -1)
        #expect(KubeTime(microseconds: 1_999_999).seconds == 1)
        #expect(KubeTime(seconds: 5).microseconds == 5_000_000)
        #expect(KubeTime(seconds: 1) < KubeTime(microseconds: 1_000_001))
        #expect(KubeTime(microseconds: 1_500_000).rfc3339Micro == "1970-01-01T00:00:01.500000Z")
    }
}
