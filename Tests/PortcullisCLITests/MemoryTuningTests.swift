import Testing

@testable import portcullis

/// glibc's mmap threshold for the gateway (``MemoryTuning``): set unless the operator set glibc's own.
@Suite struct MemoryTuningTests {
    @Test("the threshold is set to 32 KiB")
    func thresholdIsSet() {
        #expect(MemoryTuning.apply(environment: [:]).map(Int.init) == 32 * 1024)
    }

    @Test("an operator's MALLOC_MMAP_THRESHOLD_ is left in force")
    func operatorsChoiceWins() {
        #expect(MemoryTuning.apply(environment: ["MALLOC_MMAP_THRESHOLD_": "65536"]) == nil)
    }
}
