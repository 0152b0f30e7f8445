import Testing

@testable import Intercept

@Suite struct IPAddressTests {
    @Test(arguments: ["198.18.0.2", "fd00:5043::2", "::1", "::ffff:10.0.0.1", "2001:db8::8:800:200c:417a"])
    func textRoundTrips(_ text: String) throws {
        #expect(try #require(IPAddress(text)).description == text)
    }

    @Test func namesAndGarbageAreNotAddresses() {
        #expect(IPAddress("api.example.com") == nil)
        #expect(IPAddress("300.1.1.1") == nil)
        #expect(IPAddress("") == nil)
    }

    @Test func mappedAndLoopback() throws {
        #expect(try #require(IPAddress("::ffff:10.0.0.1")).unmappedIPv4 == IPAddress("10.0.0.1"))
        #expect(IPAddress("127.0.0.5")?.isLoopback == true)
        #expect(IPAddress("::1")?.isLoopback == true)
        #expect(IPAddress("10.0.0.1")?.isLoopback == false)
        #expect(IPAddress("fd00::1")?.withPort(6443) == "[fd00::1]:6443")
    }
}
