import CUSBRedirParser
import Glibc

/// The parser's C callbacks: each finds its connection through `priv` and calls the method of
/// the same job. They run on the serving thread, inside `usbredirparser_do_read`/`do_write`.
extension USBRedirConnection {
    func installCallbacks() {
        parser.pointee.priv = Unmanaged.passUnretained(self).toOpaque()
        parser.pointee.log_func = { priv, level, message in
            guard let priv, let message else { return }
            let text = String(cString: message)
            let connection = USBRedirConnection.from(priv)
            if level <= 2 { connection.logger.warning("usbredir: \(text)") } else { connection.logger.debug("usbredir: \(text)") }
        }
        parser.pointee.read_func = { priv, data, count in
            guard let priv, let data else { return -1 }
            return USBRedirConnection.from(priv).readPeer(data, count)
        }
        parser.pointee.write_func = { priv, data, count in
            guard let priv, let data else { return -1 }
            return USBRedirConnection.from(priv).writePeer(data, count)
        }
        parser.pointee.hello_func = { priv, _ in
            guard let priv else { return }
            USBRedirConnection.from(priv).hello()
        }
        parser.pointee.reset_func = { priv in
            guard let priv else { return }
            USBRedirConnection.from(priv).reset()
        }
        parser.pointee.set_configuration_func = { priv, id, header in
            guard let priv, let header else { return }
            USBRedirConnection.from(priv).setConfiguration(id: id, value: header.pointee.configuration)
        }
        parser.pointee.get_configuration_func = { priv, id in
            guard let priv else { return }
            USBRedirConnection.from(priv).getConfiguration(id: id)
        }
        parser.pointee.set_alt_setting_func = { priv, id, header in
            guard let priv, let header else { return }
            USBRedirConnection.from(priv).setAltSetting(id: id, interface: header.pointee.interface, alt: header.pointee.alt)
        }
        parser.pointee.get_alt_setting_func = { priv, id, header in
            guard let priv, let header else { return }
            USBRedirConnection.from(priv).getAltSetting(id: id, interface: header.pointee.interface)
        }
        parser.pointee.control_packet_func = { priv, id, header, data, _ in
            guard let priv, let header else { return }
            let connection = USBRedirConnection.from(priv)
            connection.control(id: id, header: header, data: data)
            if let data { usbredirparser_free_packet_data(connection.parser, data) }
        }
        parser.pointee.bulk_packet_func = { priv, id, header, data, dataLength in
            guard let priv, let header else { return }
            let connection = USBRedirConnection.from(priv)
            connection.bulk(
                id: id, endpoint: header.pointee.endpoint, length: Int(mfpb_redir_bulk_length(header)), data: data,
                dataLength: Int(dataLength))
            if let data { usbredirparser_free_packet_data(connection.parser, data) }
        }
        parser.pointee.cancel_data_packet_func = { priv, id in
            guard let priv else { return }
            USBRedirConnection.from(priv).cancel(id: id)
        }
        // No interrupt endpoints: a request to receive on one stalls.
        parser.pointee.start_interrupt_receiving_func = { priv, id, header in
            guard let priv, let header else { return }
            let connection = USBRedirConnection.from(priv)
            mfpb_redir_reply_interrupt_receiving(connection.parser, id, 3, header.pointee.endpoint)
        }
        parser.pointee.stop_interrupt_receiving_func = { priv, id, header in
            guard let priv, let header else { return }
            let connection = USBRedirConnection.from(priv)
            mfpb_redir_reply_interrupt_receiving(connection.parser, id, 0, header.pointee.endpoint)
        }
        parser.pointee.filter_filter_func = { _, rules, _ in
            usbredirfilter_free(UnsafeMutableRawPointer(rules))
        }
        parser.pointee.device_disconnect_ack_func = { _ in }
        // The parser calls these without checking for nil: a peer that sends what this device has
        // no endpoint for (iso, interrupt, streams) is answered nothing rather than crashing it.
        parser.pointee.start_iso_stream_func = { _, _, _ in }
        parser.pointee.stop_iso_stream_func = { _, _, _ in }
        parser.pointee.alloc_bulk_streams_func = { _, _, _ in }
        parser.pointee.free_bulk_streams_func = { _, _, _ in }
        parser.pointee.start_bulk_receiving_func = { _, _, _ in }
        parser.pointee.stop_bulk_receiving_func = { _, _, _ in }
        parser.pointee.filter_reject_func = { _ in }
        parser.pointee.iso_packet_func = { priv, _, _, data, _ in
            guard let priv, let data else { return }
            usbredirparser_free_packet_data(USBRedirConnection.from(priv).parser, data)
        }
        parser.pointee.interrupt_packet_func = { priv, _, _, data, _ in
            guard let priv, let data else { return }
            usbredirparser_free_packet_data(USBRedirConnection.from(priv).parser, data)
        }
    }

    static func from(_ priv: UnsafeMutableRawPointer) -> USBRedirConnection {
        Unmanaged<USBRedirConnection>.fromOpaque(priv).takeUnretainedValue()
    }
}
