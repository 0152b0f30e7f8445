import Kube

/// The data path between the agent and the API server: TLS termination with minted
/// certificates, OIDC identity, the policy decision, forwarding with the gateway's own
/// credential while impersonating the verified user, and relaying watches and streams.
///
/// The Proxy issue fills this module.
public enum Proxy {}
