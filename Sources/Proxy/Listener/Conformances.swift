extension OIDCAuthenticator: TokenAuthenticator {}
extension ServingCertificateStore: ServingContextSource {}
