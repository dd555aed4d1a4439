"""How each failure condition is written: formally, in a pattern title, and in technicians' phrasings."""

from __future__ import annotations

# condition key → (formal wording, title wording, technicians' phrasings split on |).

GENERIC_CONDITIONS: dict[str, tuple[str, str, str]] = {
    "cold": (
        "at low ambient temperature (below 5 °C)",
        "in the cold",
        (
            "when its cold|in cold weather|outside in winter|below 5 degrees|at low temperature|"
            "when the phone is cold|after being outdoors in the cold|in freezing temps|"
            "when left in a cold car|on cold mornings|in winter only|when temp drops"
        ),
    ),
    "heat": (
        "at high ambient temperature or after sun exposure",
        "in the heat",
        (
            "when its hot outside|in hot weather|after lying in the sun|at high temperature|in summer heat|"
            "when left in a hot car|above 35 degrees|when the room is warm|after sun exposure|"
            "in direct sunlight|on hot days|in a heatwave"
        ),
    ),
    "update": (
        "after a firmware update",
        "after update",
        (
            "after the last update|since the firmware update|after updating|started after fw update|"
            "after installing the new software|since the OTA update|right after the update|"
            "after system upgrade|since updating the software|following the latest firmware|"
            "after the update last week|post update"
        ),
    ),
    "charging": (
        "while charging",
        "while charging",
        (
            "while charging|when plugged in|during charging|on the charger|when connected to power|"
            "whilst charging|when charging overnight|while on the charger|when the cable is connected|"
            "during a charge|plugged in to mains|when on charge"
        ),
    ),
    "load": (
        "under sustained heavy load (gaming, video recording, navigation)",
        "under load",
        (
            "when gaming|during video recording|under heavy use|when using navigation|while streaming video|"
            "when running many apps|during long video calls|playing games|"
            "when using the camera for a long time|under load|with heavy apps open|during intensive use"
        ),
    ),
    "standby": (
        "in standby, with the screen off",
        "in standby",
        (
            "in standby|overnight when not in use|when the screen is off|while idle|when left on the table|"
            "in sleep mode|when not being used|over night|in idle|while in the pocket|when locked|at rest"
        ),
    ),
    "humidity": (
        "after exposure to humidity (bathroom, rain)",
        "after humidity",
        (
            "after a shower in the bathroom|in humid conditions|after being in the rain|in damp weather|"
            "when its humid|after using it in the bathroom|in high humidity|on rainy days|after condensation|"
            "in a steamy room|in the tropics|when its muggy"
        ),
    ),
    "boot": (
        "at power-on, during boot",
        "at boot",
        (
            "at power on|during boot|when switching on|on startup|when booting|at startup|"
            "right after turning it on|during the boot logo|when powering up|on power up|as soon as it boots|"
            "while starting"
        ),
    ),
    "drop": (
        "after a minor drop (no visible damage)",
        "after a minor drop",
        (
            "after a small drop|after dropping it once|after a light knock|since it fell off the table|"
            "after a bump|after it slipped from a pocket|after a minor fall|after being dropped on carpet|"
            "since a little drop|following a drop from low height|after a tap on the corner|"
            "after falling from the bed"
        ),
    ),
    "aging": (
        "after several months of normal use",
        "after months of use",
        (
            "after a few months|after about 6 months|after a year of use|gradually over time|"
            "after several months|getting worse over months|since last few months|after long use|with age|"
            "after 8 months of use|slowly over time|after extended use"
        ),
    ),
    "calls": (
        "during voice calls",
        "during calls",
        (
            "during calls|when on a phone call|while calling|on voice calls|when making calls|"
            "in the middle of a call|when answering calls|on long calls|during phone calls|"
            "while talking on the phone|on calls only|when on speakerphone"
        ),
    ),
    "bluetooth": (
        "while a Bluetooth accessory is connected",
        "with Bluetooth on",
        (
            "with bluetooth headphones connected|when BT is on|when paired to the car|"
            "with a smartwatch connected|while using bluetooth|with earbuds paired|when bluetooth is enabled|"
            "connected to a BT speaker|when using wireless headphones|with bluetooth active|"
            "paired with car kit|when the watch is connected"
        ),
    ),
}
