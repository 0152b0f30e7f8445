import Foundation
import Kube
import Proxy
import Store

/// The policy side of `portcullis up`: the policy file in force, the grants recorded in the
/// store, and who may use the admin socket. Every problem names the file or field.
enum PolicyAssembly {
    static func access(_ configuration: GatewayConfiguration, store: StoreDatabase) throws(ConfigurationError) -> AccessPolicy {
        guard let section = configuration.policy else {
            throw ConfigurationError(file: configuration.path, line: nil, field: "policy",
                                     message: "the section is required to run the gateway: policy.file names the rules every request is decided by (see examples/policy.yaml and docs/policy.md)")
        }
        let (policy, digest) = try PolicyFile.load(path: section.file)
        let now = StoreClock.now()
        let grants: [Grant]
        do {
            grants = try StoreReader(store).activeGrants(at: now)
        } catch {
            throw ConfigurationError(file: configuration.path, line: nil, field: "store.path", message: "cannot read the grants in \(store.path): \(error)")
        }
        let status = PolicyStatus(source: section.file, generation: 1, loadedAt: now, digest: digest, ruleCount: policy.rules.count,
                                  defaultEffect: policy.defaultEffect)
        return AccessPolicy(policy: policy, status: status, grants: GrantBook(grants))
    }

    static func admin(_ configuration: GatewayConfiguration) throws(ConfigurationError) -> AdminConfiguration {
        do {
            let group = try configuration.admin.resolveGroup()
            return AdminConfiguration(socketPath: configuration.adminSocketPath, adminGroup: group?.gid, adminGroupName: group?.name)
        } catch {
            throw ConfigurationError(file: configuration.path, line: nil, field: error.field, message: error.message)
        }
    }
}
