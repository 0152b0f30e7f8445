import Logging
import Proxy
import Store

/// Opens the recording for `portcullis up`: the database, its group-commit writer and the
/// recorder the proxy and Intercept hand their events to. Every problem names the file.
enum StoreAssembly {
    static func open(_ configuration: GatewayConfiguration, logger: Logger) throws(ConfigurationError) -> (StoreWriter, StoreRecorder) {
        let section = configuration.store
        let path = configuration.storePath
        let database: StoreDatabase
        do {
            database = try StoreDatabase.open(path: path, options: StoreDatabase.Options(durability: section.durability))
        } catch {
            throw ConfigurationError(file: configuration.path, line: nil, field: "store.path", message: error.description)
        }
        let writer = StoreWriter(database: database, configuration: StoreWriterConfiguration(queueCapacity: section.queueLimit,
                                                                                           batchDelay: section.commitDelay),
                                 logger: Logger(label: "portcullis.store"))
        let redaction = RedactionConfiguration(headers: section.redactedHeaders, tokenHeader: configuration.authentication?.tokenHeader,
                                               secrets: section.redactSecrets)
        do {
            let recorder = try StoreRecorder(writer: writer, configuration: StoreRecorderConfiguration(bodyLimit: section.bodyLimit,
                                                                                                      redaction: redaction,
                                                                                                      runIdle: section.runIdle),
                                             logger: logger)
            return (writer, recorder)
        } catch {
            writer.close()
            throw ConfigurationError(file: configuration.path, line: nil, field: "store.path", message: "cannot read the store \(path): \(error)")
        }
    }
}
