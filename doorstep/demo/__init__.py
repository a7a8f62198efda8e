"""Demo data (演示数据): the 学院路 street from OpenStreetMap and a synthetic district."""
