module uk.test/go-server

go 1.19
