import CFuzzerDriver

/// Runs libFuzzer's driver on `callback`: what each target's `<module>_main` entry point does (see
/// CFuzzerDriver.h for why).
public func runFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
                      _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt {
    var count = argc
    var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return withUnsafeMutablePointer(to: &arguments) { argumentsPointer in
        LLVMFuzzerRunDriver(&count, argumentsPointer, callback)
    }
}

/// Calls `body` with the input's bytes (an empty input may come as a null pointer).
public func withFuzzInput(_ data: UnsafePointer<UInt8>?, _ count: Int, _ body: (UnsafeRawPointer, Int) -> CInt) -> CInt {
    guard let data, count > 0 else {
        var empty: UInt8 = 0
        return body(&empty, 0)
    }
    return body(UnsafeRawPointer(data), count)
}
