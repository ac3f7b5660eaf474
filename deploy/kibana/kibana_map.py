"""The map: focus countries as a choropleth over Elastic Maps Service, places as clusters."""

from __future__ import annotations

from typing import Any

from kibana_base import DATA_VIEW_ID, EMPTY_QUERY, dumps, ref, saved_object, uid

MAP_ID = "newswire-map-focus-countries"
JOIN_SOURCE_ID = uid("map", "focus-countries-join")
PLACES_SOURCE_ID = uid("map", "places-grid")


def focus_map() -> dict[str, Any]:
    basemap = {
        "alpha": 1,
        "id": "basemap",
        "includeInFitToBounds": True,
        "label": "Basemap",
        "maxZoom": 24,
        "minZoom": 0,
        "sourceDescriptor": {
            "isAutoSelect": True,
            "lightModeDefault": "road_map_desaturated",
            "type": "EMS_TMS",
        },
        "style": {"color": "", "type": "EMS_VECTOR_TILE"},
        "type": "EMS_VECTOR_TILE",
        "visible": True,
    }
    choropleth = {
        "alpha": 0.75,
        "disableTooltips": False,
        "id": "focus-countries",
        "includeInFitToBounds": True,
        "joins": [
            {
                "leftField": "iso2",
                "right": {
                    "applyForceRefresh": True,
                    "applyGlobalQuery": True,
                    "applyGlobalTime": True,
                    "id": JOIN_SOURCE_ID,
                    "indexPatternRefName": "layer_1_join_0_index_pattern",
                    "metrics": [{"label": "stories", "type": "count"}],
                    "size": 300,
                    "term": "focus_countries",
                    "type": "ES_TERM_SOURCE",
                },
            }
        ],
        "label": "Stories by focus country",
        "maxZoom": 24,
        "minZoom": 0,
        "sourceDescriptor": {
            "id": "world_countries",
            "tooltipProperties": ["name", "iso2"],
            "type": "EMS_FILE",
        },
        "style": {
            "isTimeAware": True,
            "properties": {
                "fillColor": {
                    "options": {
                        "color": "Blues",
                        "field": {
                            "name": f"__kbnjoin__count__{JOIN_SOURCE_ID}",
                            "origin": "join",
                        },
                        "fieldMetaOptions": {"isEnabled": True, "sigma": 3},
                        "type": "ORDINAL",
                    },
                    "type": "DYNAMIC",
                },
                "lineColor": {"options": {"color": "#FFFFFF"}, "type": "STATIC"},
                "lineWidth": {"options": {"size": 1}, "type": "STATIC"},
            },
            "type": "VECTOR",
        },
        "type": "GEOJSON_VECTOR",
        "visible": True,
    }
    # Works without Elastic Maps Service: clusters of the places the stories name.
    places = {
        "alpha": 0.8,
        "id": "places",
        "includeInFitToBounds": True,
        "label": "Places mentioned (places.location)",
        "maxZoom": 24,
        "minZoom": 0,
        "sourceDescriptor": {
            "applyForceRefresh": True,
            "applyGlobalQuery": True,
            "applyGlobalTime": True,
            "geoField": "places.location",
            "id": PLACES_SOURCE_ID,
            "indexPatternRefName": "layer_2_source_index_pattern",
            "metrics": [{"type": "count"}],
            "requestType": "point",
            "resolution": "COARSE",
            "type": "ES_GEO_GRID",
        },
        "style": {
            "isTimeAware": True,
            "properties": {
                "fillColor": {
                    "options": {
                        "color": "Yellow to Red",
                        "field": {"name": "doc_count", "origin": "source"},
                        "fieldMetaOptions": {"isEnabled": True, "sigma": 3},
                        "type": "ORDINAL",
                    },
                    "type": "DYNAMIC",
                },
                "iconSize": {
                    "options": {
                        "field": {"name": "doc_count", "origin": "source"},
                        "fieldMetaOptions": {"isEnabled": True, "sigma": 3},
                        "maxSize": 24,
                        "minSize": 4,
                    },
                    "type": "DYNAMIC",
                },
                "lineColor": {"options": {"color": "#FFFFFF"}, "type": "STATIC"},
                "lineWidth": {"options": {"size": 1}, "type": "STATIC"},
            },
            "type": "VECTOR",
        },
        "type": "GEOJSON_VECTOR",
        "visible": True,
    }
    map_state = {
        "center": {"lat": 25.0, "lon": 30.0},
        "filters": [],
        "query": EMPTY_QUERY,
        "refreshConfig": {"interval": 0, "isPaused": True},
        "settings": {"autoFitToDataBounds": False, "initialLocation": "LAST_SAVED_LOCATION"},
        "timeFilters": {"from": "now-7d", "to": "now"},
        "zoom": 1.6,
    }
    return saved_object(
        "map",
        MAP_ID,
        {
            "description": "Choropleth of focus_countries (ISO 3166-1 alpha-2) joined to the "
            "Elastic Maps Service world_countries layer on iso2, over clusters of "
            "places.location.",
            "layerListJSON": dumps([basemap, choropleth, places]),
            "mapStateJSON": dumps(map_state),
            "title": "Stories by focus country",
            "uiStateJSON": dumps({"isLayerTOCOpen": True, "openTOCDetails": []}),
        },
        [
            ref("layer_1_join_0_index_pattern", "index-pattern", DATA_VIEW_ID),
            ref("layer_2_source_index_pattern", "index-pattern", DATA_VIEW_ID),
        ],
    )
