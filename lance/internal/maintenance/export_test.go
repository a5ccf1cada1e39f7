package maintenance

// NewGroupMap exposes newGroupMap to tests.
var NewGroupMap = newGroupMap

// WriterVersion exposes writerVersion to tests.
var WriterVersion = writerVersion
