package printer_test

import (
	"testing"

	"posterm/printer"
)

// BenchmarkEncodeSale encodes a sale receipt (customer and merchant copy)
// with the charge code's QR, natively and as a raster image.
func BenchmarkEncodeSale(b *testing.B) {
	for _, mode := range []printer.QRMode{printer.QRNative, printer.QRRaster} {
		b.Run(string(mode), func(b *testing.B) {
			l := printer.Layout{
				Profile: printer.Profile{Paper: 80, QR: mode},
				Copies:  []printer.Copy{printer.CopyCustomer, printer.CopyMerchant},
				QR:      true,
			}
			r := saleReceipt()
			var n int
			b.ReportAllocs()
			for b.Loop() {
				out, err := l.Receipt(r)
				if err != nil {
					b.Fatal(err)
				}
				n = len(out)
			}
			b.ReportMetric(float64(n), "bytes/receipt")
		})
	}
}

// BenchmarkDecodeSale renders a receipt back to text (the screen preview).
func BenchmarkDecodeSale(b *testing.B) {
	data := must(printer.Layout{Profile: printer.Profile{QR: printer.QRRaster}, QR: true}.Receipt(saleReceipt()))
	b.ReportAllocs()
	for b.Loop() {
		printer.DecodeText(data, 32)
	}
	b.ReportMetric(float64(len(data)), "bytes/receipt")
}
