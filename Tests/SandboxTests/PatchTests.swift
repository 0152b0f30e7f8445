import Kube
import Testing

@testable import Sandbox

@Suite struct PatchTests {
    func json(_ text: String) throws -> JSONValue { try JSONParser.parse(text) }

    /// The examples of RFC 7386, appendix A.
    @Test(arguments: [
        (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
        (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
        (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
        (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
        (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
        (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
        (#"{"e":null}"#, #"{"a":1}"#, #"{"a":1,"e":null}"#),
        (#"[1,2]"#, #"{"a":"b","c":null}"#, #"{"a":"b"}"#),
        (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
    ])
    func mergePatchFollowsRFC7386(target: String, patch: String, expected: String) throws {
        #expect(MergePatch.apply(try json(patch), to: try json(target)) == (try json(expected)))
    }

    @Test func strategicMergeMergesNamedListsItemByItem() throws {
        let target = try json(#"{"spec":{"containers":[{"name":"main","image":"nginx:1","command":["run"]},{"name":"side","image":"busybox"}]}}"#)
        let patch = try json(#"{"spec":{"$setElementOrder/containers":[{"name":"main"},{"name":"side"}],"containers":[{"name":"main","image":"nginx:2"}]}}"#)
        let expected = try json(#"{"spec":{"containers":[{"name":"main","image":"nginx:2","command":["run"]},{"name":"side","image":"busybox"}]}}"#)
        #expect(StrategicMergePatch.apply(patch, to: target) == expected)
    }

    @Test func strategicMergeDeletesAndAppendsNamedItems() throws {
        let target = try json(#"{"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}"#)
        let patch = try json(#"{"env":[{"name":"A","$patch":"delete"},{"name":"C","value":"3"}]}"#)
        #expect(StrategicMergePatch.apply(patch, to: target) == (try json(#"{"env":[{"name":"B","value":"2"},{"name":"C","value":"3"}]}"#)))
    }

    @Test func strategicMergeReplacesPrimitiveLists() throws {
        let target = try json(#"{"args":["a","b"]}"#)
        #expect(StrategicMergePatch.apply(try json(#"{"args":["c"]}"#), to: target) == (try json(#"{"args":["c"]}"#)))
    }

    @Test func jsonPatchAppliesEveryOperation() throws {
        let doc = try json(#"{"a":{"b":[1,2]},"c":"x"}"#)
        let patch = try json(#"""
            [{"op":"add","path":"/a/b/1","value":9},{"op":"remove","path":"/c"},{"op":"replace","path":"/a/b/0","value":0},
             {"op":"copy","from":"/a/b","path":"/d"},{"op":"move","from":"/d","path":"/e"},{"op":"test","path":"/e/1","value":9},
             {"op":"add","path":"/a/b/-","value":3},{"op":"add","path":"/f~1g","value":true}]
            """#)
        #expect(try JSONPatch.apply(patch, to: doc) == (try json(#"{"a":{"b":[0,9,2,3]},"e":[0,9,2],"f/g":true}"#)))
    }

    @Test func jsonPatchFailsAFailedTestAndAMissingPath() throws {
        let doc = try json(#"{"a":1}"#)
        #expect(throws: JSONPatch.Failure.self) { try JSONPatch.apply(try json(#"[{"op":"test","path":"/a","value":2}]"#), to: doc) }
        #expect(throws: JSONPatch.Failure.self) { try JSONPatch.apply(try json(#"[{"op":"remove","path":"/b"}]"#), to: doc) }
        #expect(throws: JSONPatch.Failure.self) { try JSONPatch.apply(try json(#"[{"op":"jump","path":"/a"}]"#), to: doc) }
    }
}
