import Foundation

/// An intermediate CA signed by a root, with openssl: what an operator does to make agents'
/// existing kubeconfigs (which trust the cluster CA) accept the gateway.
enum IntermediateCA {
    static func sign(directory: String, rootCertificate: String, rootKey: String, owner uid: UInt32) throws {
        let openssl = "/usr/bin/openssl"
        let key = directory + "/ca.key", csr = directory + "/ca.csr", cert = directory + "/ca.crt", ext = directory + "/ca.ext"
        try "basicConstraints=critical,CA:true,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
            .write(toFile: ext, atomically: true, encoding: .utf8)
        for arguments in [
            ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key],
            ["req", "-new", "-key", key, "-subj", "/O=Portcullis tests/CN=gateway intermediate", "-out", csr],
            ["x509", "-req", "-in", csr, "-CA", rootCertificate, "-CAkey", rootKey, "-CAcreateserial", "-days", "30",
             "-extfile", ext, "-out", cert],
        ] {
            let result = try HostCommand.run(openssl, arguments)
            guard result.status.isSuccess else { throw HarnessError("openssl \(arguments.first ?? "") failed: \(result)") }
        }
        guard chmod(key, 0o600) == 0, chown(key, uid, uid) == 0, chmod(cert, 0o644) == 0 else {
            throw HarnessError("cannot hand the intermediate key to uid \(uid)")
        }
    }
}
