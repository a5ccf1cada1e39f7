package filewriter

// Test data shared with the external tests of this package.
var (
	TypesSchema = typesSchema
	TypesRecord = typesRecord
)
