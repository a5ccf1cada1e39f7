package maintenance

// NewGroupMap exposes newGroupMap to tests.
var NewGroupMap = newGroupMap
