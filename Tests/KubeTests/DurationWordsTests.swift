import Kube
import Testing

@Suite struct DurationWordsTests {
    @Test func durationsReadAsOperatorsWriteThem() {
        #expect(DurationWords.text(.seconds(2)) == "2s")
        #expect(DurationWords.text(.seconds(300)) == "5m")
        #expect(DurationWords.text(.seconds(90)) == "1m30s")
        #expect(DurationWords.text(.seconds(5400)) == "1h30m")
        #expect(DurationWords.text(.milliseconds(250)) == "250ms")
        #expect(DurationWords.text(.zero) == "0s")
    }
}
