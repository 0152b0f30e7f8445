import CoreMetrics

/// What shipping counts through swift-metrics; the gauges (rows behind, the oldest unshipped row)
/// are read from ``CentralShippingStatus`` when the metrics are scraped.
enum CentralMetrics {
    static func shipment(rows: Int, duration: Duration) {
        Counter(label: "portcullis_central_rows_shipped_total").increment(by: rows)
        Counter(label: "portcullis_central_shipments_total").increment()
        Timer(label: "portcullis_central_shipment_duration_seconds").recordNanoseconds(
            duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    static func error() {
        Counter(label: "portcullis_central_errors_total").increment()
    }
}
