/// JSON forms of the apps/v1 messages, as Go's encoder writes the types.
extension AppsV1Deployment {
    var json: JSONValue {
        var f = ProtobufJSONFields()
        f.always("metadata", metadata.json)
        f.always("spec", spec.json)
        return f.object
    }
}

extension AppsV1DeploymentSpec {
    var json: JSONValue {
        var f = ProtobufJSONFields()
        f.optional("replicas", hasReplicas, .int(Int64(replicas)))
        f.nested("selector", hasSelector, selector.json)
        f.always("template", template.json)
        if hasStrategy {
            var s = ProtobufJSONFields()
            s.string("type", strategy.type)
            if strategy.hasRollingUpdate {
                var r = ProtobufJSONFields()
                r.optional("maxUnavailable", strategy.rollingUpdate.hasMaxUnavailable, strategy.rollingUpdate.maxUnavailable.json)
                r.optional("maxSurge", strategy.rollingUpdate.hasMaxSurge, strategy.rollingUpdate.maxSurge.json)
                s.always("rollingUpdate", r.object)
            }
            f.always("strategy", s.object)
        }
        f.int("minReadySeconds", minReadySeconds)
        f.optional("revisionHistoryLimit", hasRevisionHistoryLimit, .int(Int64(revisionHistoryLimit)))
        f.bool("paused", paused)
        f.optional("progressDeadlineSeconds", hasProgressDeadlineSeconds, .int(Int64(progressDeadlineSeconds)))
        return f.object
    }
}
